"""The http commands, one class each; discovery lists every class defined here."""
