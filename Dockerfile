# Multi-stage: build with Swift's static standard library, run as non-root on a small base.
# Base images pinned by tag and digest-less here because this repository's CI has no registry
# access; pin digests when publishing (docker buildx imagetools inspect <tag>).
FROM swift:6.3.1-bookworm AS build
WORKDIR /src
COPY Package.swift ./
COPY Sources ./Sources
COPY Tests ./Tests
RUN swift build -c release --product serin --static-swift-stdlib \
 && cp "$(swift build -c release --show-bin-path)/serin" /serin

FROM debian:12.11-slim AS runtime
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates tzdata \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /serin /usr/local/bin/serin
RUN ln -s /usr/local/bin/serin /usr/local/bin/kubectl-serin
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/serin"]
CMD ["operator"]
