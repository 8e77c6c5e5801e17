#!/usr/bin/env python3
"""Write the malformed-input corpus, datasets/malformed/.

Every file is generated here, deterministically, so that what each one holds
is stated in one place; the large ones (a line of many megabytes, 100,000
columns, thousands of NA rows) are stored gzip-compressed, which linreg reads
directly. The expected outcome of each file is in datasets/malformed/MANIFEST,
written by hand (and checked by tests/test_malformed.c): this script only
makes the data.

usage: tools/gen_malformed.py [OUT_DIR]   (default: datasets/malformed)
"""
import gzip
import os
import random
import sys

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(__file__), "..", "datasets", "malformed")

CASES = {}


def case(name, data):
    CASES[name] = data if isinstance(data, bytes) else data.encode("utf-8")


GOOD = "y,x\n1,2\n2,3.5\n3,5\n4,6.5\n5,9\n"

# --- structure: rows, quotes, line ends -------------------------------------
case("ragged_short.csv", "y,x\n1,2\n3\n4,5\n")
case("ragged_long.csv", "y,x\n1,2\n3,4,5\n")
case("ragged_late.csv", GOOD + "6,7,8\n")
case("stray_quote.csv", "y,x\n1,2\n3,4\"\n")
case("quote_inside_field.csv", "y,x\n1,2\n3,ab\"c\n")
case("text_after_closing_quote.csv", "y,x\n1,2\n3,\"4\"5\n")
case("unterminated_quote.csv", "y,x\n1,2\n3,\"4\n5,6\n")
case("ends_inside_quotes.csv", "y,x\n1,2\n3,\"4")
case("quoted_newlines.csv",  # valid: a text column with line ends inside quotes
     "y,x,note\n1,2,\"one\nline two\"\n2,3.5,\"a \"\"quoted\"\" word\"\n3,5,plain\n"
     "4,6.5,\"x\r\ny\"\n5,9,\"\"\n")
case("crlf.csv", GOOD.replace("\n", "\r\n"))
case("cr_only.csv", GOOD.replace("\n", "\r"))
case("mixed_line_ends.csv", "y,x\r\n1,2\n2,3.5\r\n3,5\r4,6.5\n5,9")
case("bom.csv", b"\xef\xbb\xbf" + GOOD.encode())
case("blank_lines.csv", "y,x\n\n1,2\n2,3.5\n\n\n3,5\n4,6.5\n5,9\n\n")
case("no_final_newline.csv", GOOD.rstrip("\n"))
case("spaces_around.csv", "y , x\n 1 , 2 \n2,  3.5\n 3,5\n4 ,6.5\n5,9 \n")
case("semicolons.csv", GOOD.replace(",", ";"))
case("tabs.csv", GOOD.replace(",", "\t"))
case("decimal_comma.csv", "y;x\n1,5;2,3\n2,5;3,1\n3,5;4,2\n")

# --- bytes that are not text -------------------------------------------------
case("nul_byte.csv", b"y,x\n1,2\n2,\x003\n3,4\n")
case("utf16le.csv", b"\xff\xfe" + GOOD.encode("utf-16-le"))
rng = random.Random(20261125)
case("binary.csv", bytes(rng.randrange(256) for _ in range(4096)))
case("png_header.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(64)))
case("latin1_levels.csv",  # valid: Latin-1 factor levels (a spreadsheet export)
     b"y,city\n1,Z\xfcrich\n2,Gen\xe8ve\n3,Z\xfcrich\n4,Gen\xe8ve\n5,Z\xfcrich\n6,Gen\xe8ve\n")
case("latin1_header.csv", b"y,gr\xf6\xdfe\n1,2\n2,3.5\n3,5\n4,6.5\n")

# --- the header ----------------------------------------------------------------
case("empty.csv", "")
case("only_newlines.csv", "\n\n\n")
case("header_only.csv", "y,x\n")
case("header_only_no_newline.csv", "y,x")
case("duplicate_names.csv", "y,x,x\n1,2,3\n2,3,4\n3,5,5\n")
case("empty_name.csv", "y,,x\n1,5,2\n2,6,3\n3,7,5\n")
case("trailing_delimiter.csv", "y,x,\n1,2,\n2,3.5,\n3,5,\n4,6.5,\n")
case("quoted_header.csv",  # valid: names with a delimiter and spaces inside quotes
     "\"y, the response\",\"x 1\"\n1,2\n2,3.5\n3,5\n4,6.5\n5,9\n")

# --- values ------------------------------------------------------------------
case("overflow_1e999.csv", "y,x\n1,2\n3,1e999\n")
case("two_dots.csv", "y,x\n1,2\n1.2.3,3\n")
case("double_minus.csv", "y,x\n1,2\n--5,3\n")
case("hex_number.csv", "y,x\n1,2\n0x10,3\n")
case("inf_value.csv", "y,x\n1,2\n3,Inf\n4,5\n")
case("nan_value.csv", "y,x\n1,2\nNaN,3\n3,5\n4,6.5\n5,9\n")
case("huge_squares.csv", "y,x\n1e200,2e200\n3e200,1e200\n5e200,7e200\n4e200,4e200\n")
case("tiny_squares.csv", "y,x\n1e-200,2e-200\n3e-200,1e-200\n5e-200,7e-200\n4e-200,4e-200\n")
case("text_predictor_is_factor.csv",  # valid: "1.2.3" makes x categorical, as in R
     "y,x\n1,2\n2,1.2.3\n3,2\n4,1.2.3\n5,4\n")
# a numeric predictor with one cell that is not a number: an error (not a
# factor of a dozen levels), with factor(x) as the way to mean a factor
MOSTLY = "".join("%d,%d\n" % (i, (i * 7) % 11) for i in range(1, 13))
case("mostly_numeric_hex.csv", "y,x\n" + MOSTLY.replace("4,6\n", "4,0x1p3\n"))
case("mostly_numeric_underscore.csv", "y,x\n" + MOSTLY.replace("4,6\n", "4,1_000\n"))
case("mostly_numeric_decimal_comma.csv",
     "y;x\n" + MOSTLY.replace(",", ";").replace("4;6\n", "4;2,5\n"))
case("negative_weight.csv", "y,x,w\n1,2,1\n2,3.5,-1\n3,5,1\n")

# --- rows --------------------------------------------------------------------
case("all_na.csv", "y,x\n1,NA\nNA,2\n,3\n")
case("constant_response.csv", "y,x\n5,1\n5,2\n5,3\n5,4\n")
case("n_equals_p.csv", "y,x1,x2\n1,2,3\n2,3,1\n4,1,1\n")
case("one_row.csv", "y,x\n1,2\n")
case("constant_predictor.csv", "y,x\n1,2\n2,2\n3,2\n4,2\n")

# --- large -------------------------------------------------------------------
many_na = "y,x\n" + "NA,NA\n" * 5000 + GOOD.split("\n", 1)[1]
case("many_na_rows.csv.gz", gzip.compress(many_na.encode(), mtime=0))
long_text = "y,x,comment\n1,2,a\n2,3.5," + "b" * 8_000_000 + "\n3,5,c\n4,6.5,d\n5,9,e\n"
case("long_line_text.csv.gz", gzip.compress(long_text.encode(), mtime=0))
long_num = "y,x\n1,2\n2," + "1" * 8_000_000 + "\n3,5\n"
case("long_line_number.csv.gz", gzip.compress(long_num.encode(), mtime=0))
n = 100_000
wide = ",".join(["y"] + ["c%d" % i for i in range(1, n)]) + "\n"
for r in range(4):
    wide += ",".join(str((r * 7 + i) % 10) for i in range(n)) + "\n"
case("wide_100000_columns.csv.gz", gzip.compress(wide.encode(), mtime=0))
rows = "".join("%d,%d.%d\n" % (i, (i * 37) % 101, i % 10) for i in range(1, 2001))
whole = gzip.compress(("y,x\n" + rows).encode(), mtime=0)
case("truncated_gzip.csv.gz", whole[: len(whole) // 2])
case("gzip_magic_garbage.csv", b"\x1f\x8bgarbage\n1,2\n")

# --- rows beyond --max-line-bytes (default 8 MiB) ---------------------------
long_row = "y,x,comment\n1,2,a\n2,3.5," + "b" * (9 << 20) + "\n3,5,c\n4,6.5,d\n5,9,e\n"
case("long_row_9mib.csv.gz", gzip.compress(long_row.encode(), mtime=0))
# 20 MiB of NUL bytes after a good row: a small gzip bomb
case("nul_bomb.csv.gz", gzip.compress(b"y,x\n1,2\n" + bytes(20 << 20), mtime=0))
# a quoted field of 600 lines: one row of 1,800 bytes, lines 3 to 602
case("quoted_long_row.csv",
     GOOD.replace("y,x\n", "y,x,note\n").replace("\n1,2\n", "\n1,2,a\n")
     .replace("2,3.5\n", "2,3.5,\"" + "ab\n" * 600 + "\"\n")
     .replace("3,5\n", "3,5,c\n").replace("4,6.5\n", "4,6.5,d\n").replace("5,9\n", "5,9,e\n"))

os.makedirs(OUT, exist_ok=True)
for name, data in CASES.items():
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)
print("%d files in %s" % (len(CASES), OUT))
