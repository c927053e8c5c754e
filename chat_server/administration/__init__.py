"""The one service layer that writes settings (issue 14): the console's settings pages and the
``dealer-chat admin`` commands both call it, so no rule exists twice. Every change it makes is
checked against the actor's scope and written to the audit log."""
