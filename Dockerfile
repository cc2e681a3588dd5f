# The velo image: one static binary that is the operator (`velo operator`),
# the runner pods' entrypoint (`velo runner`) and the CLI. Where no Docker
# engine is available, `make image` builds the same image as an OCI tarball
# with go-containerregistry (hack/image).
#
#   docker build -t velostream/velo:dev .

FROM golang:1.26-bookworm AS build
WORKDIR /src
# Dependencies first, so a source change does not download them again.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 GOOS=linux go build -trimpath -buildvcs=false \
      -ldflags "-s -w" -o /out/velo ./cmd/velo

# distroless/static: CA certificates, /etc/passwd with the nonroot user
# (65532), /tmp, and nothing else: no shell, no package manager.
FROM gcr.io/distroless/static-debian12:nonroot
ARG VERSION=dev
LABEL org.opencontainers.image.title="velo" \
      org.opencontainers.image.description="Velostream: streaming SQL engine, runner and Kubernetes operator" \
      org.opencontainers.image.source="https://github.com/velostream/velostream" \
      org.opencontainers.image.version="${VERSION}"
COPY --from=build /out/velo /velo
USER 65532:65532
ENTRYPOINT ["/velo"]
