"""Guest access: review links (``/r``) and emailed decision links (``/e``)."""
