# Static, non-root image: `make image` (needs a docker engine).
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY cmd/ cmd/
COPY pkg/ pkg/
ARG VERSION=dev
ARG COMMIT=unknown
RUN CGO_ENABLED=0 go build -trimpath \
    -ldflags "-s -w -X github.com/jobernetes/jobernetes/pkg/version.Version=${VERSION} -X github.com/jobernetes/jobernetes/pkg/version.Commit=${COMMIT}" \
    -o /out/jobernetes ./cmd/jobernetes

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/jobernetes /jobernetes
USER 65532:65532
ENTRYPOINT ["/jobernetes"]
