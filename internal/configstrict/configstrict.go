// Package configstrict makes a component config reject keys it does not
// know, even when it squash-embeds a config with its own Unmarshal (such as
// confighttp.ClientConfig). confmap decodes such configs with unused keys
// ignored, so a typo like `graphfile:` would otherwise be accepted silently.
package configstrict

import (
	"reflect"
	"strings"

	"go.opentelemetry.io/collector/confmap"
)

var unmarshalerType = reflect.TypeFor[confmap.Unmarshaler]()

// Check decodes conf into a throwaway copy of cfg's type in which every
// squash-embedded Unmarshaler is replaced by a plain struct of the same
// fields, so confmap's usual unknown-key error ("has invalid keys: …")
// names any key cfg does not have. cfg must be a pointer to a struct.
func Check(conf *confmap.Conf, cfg any) error {
	t := reflect.TypeOf(cfg).Elem()
	shadow := reflect.New(plain(t))
	return conf.Unmarshal(shadow.Interface())
}

// plain is t's exported fields, with squashed Unmarshalers flattened
// recursively into plain structs.
func plain(t reflect.Type) reflect.Type {
	fields := make([]reflect.StructField, 0, t.NumField())
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		if squashed(f.Tag.Get("mapstructure")) && f.Type.Kind() == reflect.Struct &&
			reflect.PointerTo(f.Type).Implements(unmarshalerType) {
			f.Type = plain(f.Type)
		} else if f.Type.Kind() == reflect.Struct && !reflect.PointerTo(f.Type).Implements(unmarshalerType) && holdsSquashed(f.Type) {
			// A section (such as prometheus:) that squashes one inside.
			f.Type = plain(f.Type)
		}
		f.Anonymous = false
		f.Index = nil
		f.Offset = 0
		fields = append(fields, f)
	}
	return reflect.StructOf(fields)
}

// holdsSquashed reports whether struct t squash-embeds an Unmarshaler, at
// any depth of plain struct fields.
func holdsSquashed(t reflect.Type) bool {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() || f.Type.Kind() != reflect.Struct {
			continue
		}
		isU := reflect.PointerTo(f.Type).Implements(unmarshalerType)
		if isU && squashed(f.Tag.Get("mapstructure")) {
			return true
		}
		if !isU && holdsSquashed(f.Type) {
			return true
		}
	}
	return false
}

func squashed(tag string) bool {
	parts := strings.Split(tag, ",")
	for _, p := range parts[1:] {
		if p == "squash" {
			return true
		}
	}
	return false
}
