"""Client-side protocol drivers: one per benchmark target's wire format."""
