package scim

// WithAnchorStride sets the distance between the anchors of deep jumps
// (see listMemo), so that a test needs fewer resources than anchorStride
// to show them.
func WithAnchorStride(n int) func(*Config) {
	return func(c *Config) { c.anchorStride = n }
}
