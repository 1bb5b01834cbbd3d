#!/usr/bin/env python3
"""Writes a C file defining qz_fleet__schema_sql() as the text of a file."""
import sys

src, out = sys.argv[1], sys.argv[2]
text = open(src, encoding="utf-8").read()
with open(out, "w", encoding="utf-8") as f:
    f.write("/* Generated from deploy/clickhouse/schema.sql by fleet/embed_sql.py. */\n")
    f.write('#include "fleet.h"\n\nstatic const char schema[] =\n')
    for line in text.splitlines(True):
        esc = line.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
        f.write(f'\t"{esc}"\n')
    f.write(";\n\nconst char *qz_fleet__schema_sql(void)\n{\n\treturn schema;\n}\n")
