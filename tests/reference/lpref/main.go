// Command lpref runs InfluxDB 1.x's own line protocol parser (package models
// of github.com/influxdata/influxdb1-client, as Debian packages it) over test
// cases, and prints what it makes of each one: the reference that
// tests/reference/differential_test.cc compares LineParser with.
//
// Build (offline, GOPATH mode; the `uint` tag enables unsigned fields):
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -tags uint -o lpref ./main.go
//
// Input on stdin, per case: its length in decimal, a newline, then exactly
// that many bytes. Cases may hold any byte, newlines included, hence the
// length prefix.
//
// Output on stdout, one line per case, tokens separated by single spaces.
// Byte strings are written as "x" followed by their hex digits ("x" alone is
// the empty string), so that every token is non-empty and unambiguous:
//
//	<points> <errors> R <error>
//	<points> <errors> A <name> <parse-name> <ntags> {<key> <value>}
//	    <nfields> {<key> <type> <value>} <timestamp> <raw-fields>
//
// A (accepted) means ParsePointsWithPrecision returned exactly one point and
// no error; R is anything else, with the error text (possibly empty).
//
// With -list, each case is answered instead with every point it gives, as
// the package prints it (p.String(): the key, a space, the fields as written
// and, for a point with a time, a space and the time in nanoseconds):
//
//	<points> <errors> <error> {<point>}
//
// which the test uses to see which lines of a batch came through as points
// of their own.
//
//   - name is p.Name(); parse-name is models.ParseName(p.Key()), the other
//     unescaping the package applies to the same measurement (both are
//     printed because they disagree on `\=` and `\"`).
//   - tags are p.Tags(), unescaped, in the order the package sorts them.
//   - fields are p.FieldIterator()'s, in written order, with type float
//     (value: the 16 hex digits of the IEEE 754 bits), integer or unsigned
//     (decimal), boolean (0 or 1), string (hex bytes, unescaped), empty
//     (value "-", the iterator's type for a field it cannot split), or bad
//     (value: the decoder's error, hex).
//   - timestamp is p.UnixNano() in decimal when the case had one, else "-".
//   - raw-fields is the field section exactly as written, for the test's
//     classification of known differences.
package main

import (
	"bufio"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/influxdata/influxdb1-client/models"
)

func main() {
	precision := flag.String("precision", "n", "timestamp precision of the input: n, u, ms or s")
	list := flag.Bool("list", false, "print every point of each case (see above)")
	flag.Parse()
	switch *precision {
	case "n", "u", "ms", "s":
	default:
		fmt.Fprintf(os.Stderr, "lpref: unknown precision %q (want n, u, ms or s)\n", *precision)
		os.Exit(2)
	}

	in := bufio.NewReaderSize(os.Stdin, 1<<20)
	out := bufio.NewWriterSize(os.Stdout, 1<<20)
	defer out.Flush()

	for {
		c, err := readCase(in)
		if err == io.EOF {
			return
		}
		if err != nil {
			out.Flush()
			fmt.Fprintf(os.Stderr, "lpref: %v\n", err)
			os.Exit(1)
		}
		if *list {
			writeList(out, c, *precision)
		} else {
			writeRecord(out, c, *precision)
		}
	}
}

// readCase reads one length-prefixed case. It returns io.EOF only at a clean
// end of input, between cases.
func readCase(in *bufio.Reader) ([]byte, error) {
	header, err := in.ReadString('\n')
	if err == io.EOF && header == "" {
		return nil, io.EOF
	}
	if err != nil {
		return nil, fmt.Errorf("reading a case length: %v", err)
	}
	n, err := strconv.Atoi(strings.TrimSuffix(header, "\n"))
	if err != nil || n < 0 {
		return nil, fmt.Errorf("bad case length %q", header)
	}
	c := make([]byte, n)
	if _, err := io.ReadFull(in, c); err != nil {
		return nil, fmt.Errorf("reading a case of %d bytes: %v", n, err)
	}
	return c, nil
}

func writeRecord(out *bufio.Writer, c []byte, precision string) {
	// The zero time as the default time: a point that gets it had no
	// timestamp, since every timestamp the package accepts is a real time
	// between 1677 and 2262, and truncating the zero time keeps it zero.
	points, err := models.ParsePointsWithPrecision(c, time.Time{}, precision)

	errors := 0
	errText := ""
	if err != nil {
		errText = err.Error()
		// The package joins one "unable to parse '<line>': <reason>" per
		// failed line with newlines, and keeps no count. The generated cases
		// never contain this phrase themselves.
		errors = strings.Count(errText, "unable to parse '")
		if errors == 0 {
			errors = 1
		}
	}
	fmt.Fprintf(out, "%d %d ", len(points), errors)

	if len(points) != 1 || err != nil {
		fmt.Fprintf(out, "R %s\n", hexBytes([]byte(errText)))
		return
	}

	p := points[0]
	fmt.Fprintf(out, "A %s %s", hexBytes(p.Name()), hexBytes(models.ParseName(p.Key())))

	tags := p.Tags()
	fmt.Fprintf(out, " %d", len(tags))
	for _, t := range tags {
		fmt.Fprintf(out, " %s %s", hexBytes(t.Key), hexBytes(t.Value))
	}

	var fields []string
	it := p.FieldIterator()
	for it.Next() {
		fields = append(fields, hexBytes(it.FieldKey())+" "+describeValue(it))
	}
	fmt.Fprintf(out, " %d", len(fields))
	for _, f := range fields {
		fmt.Fprintf(out, " %s", f)
	}

	if p.Time().IsZero() {
		fmt.Fprint(out, " -")
	} else {
		fmt.Fprintf(out, " %d", p.UnixNano())
	}

	fmt.Fprintf(out, " %s\n", hexBytes(rawFields(p)))
}

// writeList prints the -list answer for one case.
func writeList(out *bufio.Writer, c []byte, precision string) {
	points, err := models.ParsePointsWithPrecision(c, time.Time{}, precision)
	errors := 0
	errText := ""
	if err != nil {
		errText = err.Error()
		errors = strings.Count(errText, "unable to parse '")
		if errors == 0 {
			errors = 1
		}
	}
	fmt.Fprintf(out, "%d %d %s", len(points), errors, hexBytes([]byte(errText)))
	for _, p := range points {
		fmt.Fprintf(out, " %s", hexBytes([]byte(p.String())))
	}
	fmt.Fprint(out, "\n")
}

// describeValue returns "<type> <value>" for the iterator's current field.
// A decoder that panics is reported as a bad value too: StringValue slices
// past the end of a value that is a lone quote (points.go, StringValue),
// which the parser can accept after it lost count of its quotes.
func describeValue(it models.FieldIterator) (description string) {
	bad := func(err error) string { return "bad " + hexBytes([]byte(err.Error())) }
	defer func() {
		if r := recover(); r != nil {
			description = bad(fmt.Errorf("panic: %v", r))
		}
	}()
	switch it.Type() {
	case models.Float:
		f, err := it.FloatValue()
		if err != nil {
			return bad(err)
		}
		return fmt.Sprintf("float %016x", math.Float64bits(f))
	case models.Integer:
		n, err := it.IntegerValue()
		if err != nil {
			return bad(err)
		}
		return "integer " + strconv.FormatInt(n, 10)
	case models.Unsigned:
		n, err := it.UnsignedValue()
		if err != nil {
			return bad(err)
		}
		return "unsigned " + strconv.FormatUint(n, 10)
	case models.Boolean:
		b, err := it.BooleanValue()
		if err != nil {
			return bad(err)
		}
		if b {
			return "boolean 1"
		}
		return "boolean 0"
	case models.String:
		return "string " + hexBytes([]byte(it.StringValue()))
	case models.Empty:
		return "empty -"
	}
	return fmt.Sprintf("bad %s", hexBytes([]byte(fmt.Sprintf("unknown field type %d", it.Type()))))
}

// rawFields returns the point's field section as written. The package keeps
// it but does not export it; String() prints the key, a space, the fields
// and, for a point with a time, a space and the time in nanoseconds.
func rawFields(p models.Point) []byte {
	s := p.String()
	s = s[len(p.Key())+1:]
	if !p.Time().IsZero() {
		s = strings.TrimSuffix(s, " "+strconv.FormatInt(p.UnixNano(), 10))
	}
	return []byte(s)
}

func hexBytes(b []byte) string {
	return "x" + hex.EncodeToString(b)
}
