# syntax=docker/dockerfile:1
# The Serin operator image: built with Swift's static standard library, run as a non-root
# numeric user on a distroless base that holds only glibc, libstdc++, CA certificates and
# tzdata, plus the one binary.
#
# Pins: the runtime by tag and digest. The builder by exact tag only: no digest for
# swift:6.3.1-bookworm could be verified from here (no registry access); pin it before
# publishing with `docker buildx imagetools inspect swift:6.3.1-bookworm`.
# Builder and runtime share Debian 12 (bookworm), so the binary's glibc matches.

FROM swift:6.3.1-bookworm AS build
WORKDIR /src
# Dependencies first: this layer is reused until Package.swift or Package.resolved change.
COPY Package.swift Package.resolved ./
RUN swift package resolve
COPY Sources ./Sources
# SwiftPM needs every declared target's directory, test targets included.
COPY Tests ./Tests
RUN swift build -c release --product serin --static-swift-stdlib \
 && install -D -m 0755 "$(swift build -c release --show-bin-path)/serin" /out/usr/local/bin/serin \
 && strip /out/usr/local/bin/serin \
 && ln -s serin /out/usr/local/bin/kubectl-serin

# gcr.io/distroless/cc-debian12:nonroot
FROM gcr.io/distroless/cc-debian12:nonroot@sha256:9dac0a79194e45a7da0158a9c6da57b217585af0786db3845d1f0ec1a0dd182f AS runtime
LABEL org.opencontainers.image.title="serin" \
      org.opencontainers.image.description="Serin: progressive delivery for Kubernetes"
# The binary and its kubectl plugin name (`kubectl serin …`).
COPY --from=build /out/ /
# Numeric, so the kubelet can enforce runAsNonRoot without reading /etc/passwd.
USER 65532:65532
# /metrics and /healthz, /readyz (see manifests/deployment.yaml).
EXPOSE 8080 8081
ENTRYPOINT ["/usr/local/bin/serin"]
CMD ["operator"]
