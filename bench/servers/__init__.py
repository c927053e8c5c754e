"""The baseline servers the runner starts next to dealer-chat."""
