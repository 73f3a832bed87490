package config

import (
	"fmt"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// field is one leaf key of the configuration.
type field struct {
	Path   string // as in YAML: "http.shutdown_timeout"
	Env    string // "ROSTER_HTTP_SHUTDOWN_TIMEOUT"
	Secret bool   // may also be read from the file named by Env+"_FILE"
	value  reflect.Value
}

var (
	secretType   = reflect.TypeFor[Secret]()
	durationType = reflect.TypeFor[time.Duration]()
)

// fields lists every leaf key of c, in declaration order. The environment
// overrides, the documentation test and error messages all derive from it,
// so that a new field cannot be forgotten in any of them.
func fields(c *Config) []field {
	var out []field
	var walk func(v reflect.Value, prefix string)
	walk = func(v reflect.Value, prefix string) {
		t := v.Type()
		for i := range t.NumField() {
			key := strings.Split(t.Field(i).Tag.Get("yaml"), ",")[0]
			path := prefix + key
			fv := v.Field(i)
			if fv.Kind() == reflect.Struct {
				walk(fv, path+".")
				continue
			}
			out = append(out, field{
				Path:   path,
				Env:    "ROSTER_" + strings.ToUpper(strings.ReplaceAll(path, ".", "_")),
				Secret: fv.Type() == secretType,
				value:  fv,
			})
		}
	}
	walk(reflect.ValueOf(c).Elem(), "")
	return out
}

// applyEnv overrides c with the environment. An empty variable counts as
// unset.
func applyEnv(c *Config, env func(string) string) []string {
	var problems []string
	for _, f := range fields(c) {
		raw, from := env(f.Env), f.Env
		if f.Secret {
			if file := env(f.Env + "_FILE"); file != "" {
				if raw != "" {
					problems = append(problems, fmt.Sprintf("%s and %s_FILE are both set; set one", f.Env, f.Env))
					continue
				}
				data, err := os.ReadFile(file) // #nosec G304 -- the operator names the secret file
				if err != nil {
					problems = append(problems, fmt.Sprintf("%s_FILE: %v", f.Env, err))
					continue
				}
				raw, from = strings.TrimRight(string(data), "\r\n"), f.Env+"_FILE"
				if raw == "" {
					problems = append(problems, fmt.Sprintf("%s: the file %s is empty", from, file))
					continue
				}
			}
		}
		if raw == "" {
			continue
		}
		if err := setValue(f.value, raw); err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", from, err))
		}
	}
	return problems
}

// setValue parses s into v according to v's type.
func setValue(v reflect.Value, s string) error {
	if v.Type() == durationType {
		d, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("%q is not a duration such as 15s or 1m30s", s)
		}
		v.SetInt(int64(d))
		return nil
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(s)
	case reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return fmt.Errorf("%q is not true or false", s)
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int64:
		n, err := strconv.ParseInt(s, 10, v.Type().Bits())
		if err != nil {
			return fmt.Errorf("%q is not an integer", s)
		}
		v.SetInt(n)
	case reflect.Float64:
		n, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return fmt.Errorf("%q is not a number", s)
		}
		v.SetFloat(n)
	default:
		return fmt.Errorf("values of type %s cannot be set from the environment", v.Type())
	}
	return nil
}
