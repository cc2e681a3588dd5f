// Package format holds the record codecs: it takes raw input records (one
// JSON object per line, or CSV records) plus the wanted fields, and gives
// types.Row values; it takes rows and gives JSON or CSV bytes back.
//
// Decoders are built once per source and reused for every record: they keep
// per-field intern tables and scratch buffers so that steady-state decoding
// does not allocate. A decoder is not safe for concurrent use.
//
// Strings placed into rows are ordinary immutable Go strings (interned or
// freshly allocated), never views of the input buffer, so operators may keep
// them after the input buffer is reused.
package format

import (
	"fmt"

	"github.com/velostream/velostream/engine/types"
)

// Time formats for TIMESTAMP fields.
const (
	TimeAuto         = ""              // a number is epoch millis; a string is RFC 3339 / ISO 8601
	TimeEpochMillis  = "epoch_millis"  // a number (or numeric string) of milliseconds since the epoch
	TimeEpochSeconds = "epoch_seconds" // a number (or numeric string) of seconds, fraction allowed
	TimeISO8601      = "iso8601"       // a string: date, or date and time with or without a zone
)

// Field is one wanted field of a record.
type Field struct {
	Name string
	// Type is the declared type; KindAny (or KindNull) means "infer from each
	// value": integers become BIGINT, numbers with a fraction exact DECIMAL,
	// numbers with an exponent DOUBLE, strings STRING.
	Type types.Type
	// TimeFormat says how a TIMESTAMP field is written in the data.
	TimeFormat string
	// Required makes an absent (or, in CSV, empty) field an error instead of NULL.
	Required bool
}

// ValidTimeFormat reports whether f is one of the TimeFormat values.
func ValidTimeFormat(f string) bool {
	switch f {
	case TimeAuto, TimeEpochMillis, TimeEpochSeconds, TimeISO8601:
		return true
	}
	return false
}

// DecodeError is a record that could not be decoded, with where.
type DecodeError struct {
	// Offset is the byte offset inside the record (the line for JSON, the
	// raw record text for CSV when the caller knows it).
	Offset int
	// Field is the wanted field the error is about, "" for syntax errors.
	Field string
	// Column is the 1-based CSV column of the bad value; 0 for JSON. It
	// lets a CSV reader that knows column positions set Offset.
	Column int
	// Msg is the complete human-readable message (it names the field).
	Msg string
}

func (e *DecodeError) Error() string {
	return fmt.Sprintf("byte %d: %s", e.Offset, e.Msg)
}

func syntaxErr(off int, format string, args ...any) *DecodeError {
	return &DecodeError{Offset: off, Msg: fmt.Sprintf(format, args...)}
}

func fieldErr(off int, field, format string, args ...any) *DecodeError {
	return &DecodeError{Offset: off, Field: field, Msg: fmt.Sprintf("field %q: ", field) + fmt.Sprintf(format, args...)}
}

// effectiveKind maps the "infer from data" kinds to KindAny.
func effectiveKind(t types.Type) types.Kind {
	if t.Kind == types.KindNull {
		return types.KindAny
	}
	return t.Kind
}
