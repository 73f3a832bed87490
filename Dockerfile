# syntax=docker/dockerfile:1

# Build a static binary: the SQLite driver is pure Go, so no cgo is needed.
FROM golang:1.26 AS build
WORKDIR /src
COPY . .
ARG VERSION=devel
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/roster ./cmd/roster \
 && mkdir /out/data

# distroless/static has no shell or package manager; nonroot is uid 65532.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/roster /usr/local/bin/roster
# An empty /data owned by nonroot, so that a new volume is writable.
COPY --from=build --chown=65532:65532 /out/data /data
ENV ROSTER_DATABASE_URL=sqlite:/data/roster.db
VOLUME /data
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["roster"]
CMD ["serve"]
