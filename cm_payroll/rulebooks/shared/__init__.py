"""What both rulebooks apply the same way, so that neither imports the other: employment and time
(`employment`), the month's events (`events`), overrides (`overrides`, S-Art.34), adjustments and the
payment status (`pay`), corrections (`corrections`, S-Art.33), exception rows and input warnings
(`exceptions`), the opening file of a root begun with --start (`opening`)."""
