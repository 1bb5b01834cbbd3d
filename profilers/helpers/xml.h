/* SPDX-License-Identifier: MIT */
/* Text for XML (SVG) documents. */
#ifndef QUAZAR_PROFILERS_XML_H
#define QUAZAR_PROFILERS_XML_H

#include <stddef.h>
#include <stdio.h>

/*
 * Write len bytes of s as XML text or attribute content: & < > " escaped;
 * bytes that are not valid UTF-8, control characters and U+FFFE/U+FFFF
 * become '?', so any symbol name gives a document parsers accept.
 */
void qz_xml__put(FILE *out, const char *s, size_t len);

#endif
