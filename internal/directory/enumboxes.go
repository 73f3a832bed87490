package directory

// EnumBoxes holds the values of an enumeration boxed once. Putting a
// value in an any allocates, and hot paths put several there for each
// request: a created user's audit changes (Change.After), a user row's
// statement arguments.
type EnumBoxes[T ~string] map[T]any

// NewEnumBoxes boxes values.
func NewEnumBoxes[T ~string](values ...T) EnumBoxes[T] {
	b := make(EnumBoxes[T], len(values))
	for _, v := range values {
		b[v] = v
	}
	return b
}

// Box returns v as an any: the one b holds, or a new one if v is not of
// the enumeration.
func (b EnumBoxes[T]) Box(v T) any {
	if a, ok := b[v]; ok {
		return a
	}
	return v
}
