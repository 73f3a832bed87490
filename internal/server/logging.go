package server

import (
	"context"
	"log/slog"

	"github.com/roster/roster/internal/directory"
)

// NewLogHandler wraps h so that every record logged with a request's
// context (logger.InfoContext(ctx, …)) carries that request's id. Build the
// process logger with it and every component's logs of a request can be
// joined on request_id. Wrapping twice is harmless.
func NewLogHandler(h slog.Handler) slog.Handler {
	if _, ok := h.(requestIDHandler); ok {
		return h
	}
	return requestIDHandler{h}
}

type requestIDHandler struct{ slog.Handler }

func (h requestIDHandler) Handle(ctx context.Context, r slog.Record) error {
	if id := directory.RequestID(ctx); id != "" {
		r.AddAttrs(slog.String("request_id", id))
	}
	return h.Handler.Handle(ctx, r)
}

func (h requestIDHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return requestIDHandler{h.Handler.WithAttrs(attrs)}
}

func (h requestIDHandler) WithGroup(name string) slog.Handler {
	return requestIDHandler{h.Handler.WithGroup(name)}
}
