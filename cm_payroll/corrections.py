"""Re-runs of closed months (SPEC 6; S-Art.33, 34): implemented in the corrections issue."""
