#!/bin/sh
# Turn queries .sql files ("-- name: x" blocks) into one C table and enum.
# usage: gen-queries.sh PREFIX out.c out.h in.sql...
set -eu
prefix=$1 outc=$2 outh=$3
shift 3
awk -v P="$prefix" -v OC="$outc" -v OH="$outh" '
function flush() {
	if (name == "") return
	gsub(/[ \t]+$/, "", sql)
	w = (toupper(" " sql " ") ~ /[^A-Z_](INSERT|UPDATE|DELETE|AUDIT_APPEND)[^A-Z_]/) ? 1 : 0
	printf "\t{ \"%s\", \"%s\", %d },\n", name, sql, w >> OC
	printf "\tQ_%s,\n", toupper(name) >> OH
	name = ""; sql = ""
}
BEGIN {
	printf "/* generated from %s; do not edit */\n#include \"queries.h\"\n", FILENAME > OC
	printf "const struct ks_query %s_queries[] = {\n", P >> OC
	printf "/* generated; do not edit */\n#ifndef %s_QUERIES_H\n#define %s_QUERIES_H\n", toupper(P), toupper(P) > OH
	printf "#include \"kasus/route.h\"\n" >> OH
	printf "enum {\n" >> OH
}
/^-- name: / { flush(); name = $3; if (name in seen) { print "duplicate query " name > "/dev/stderr"; exit 1 } seen[name] = 1; next }
/^--/ { next }
/^[ \t]*$/ { next }
# A statement is joined into one line: a comment inside it would swallow
# the rest of the statement. Comments go above its "-- name:" line.
/^[ \t]+--/ { print "comment inside query " name " (" FILENAME ":" FNR "): put it above the query" > "/dev/stderr"; exit 1 }
{
	line = $0; gsub(/\\/, "\\\\", line); gsub(/"/, "\\\"", line); gsub(/\t/, " ", line)
	sql = (sql == "") ? line : sql " " line
}
END {
	flush()
	printf "\t{ 0, 0, 0 }\n};\n" >> OC
	printf "\tQ_%s_COUNT\n};\nextern const struct ks_query %s_queries[];\n#endif\n", toupper(P), P >> OH
}' "$@"
