print("skipped: not written yet"); raise SystemExit(77)
