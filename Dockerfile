# Valet in a container: built with the project's Rust version, run on a slim Debian with OpenSSL.
FROM rust:1.95-bookworm AS build
WORKDIR /src
RUN apt-get update && apt-get install -y --no-install-recommends libssl-dev pkg-config && rm -rf /var/lib/apt/lists/*
COPY . .
RUN cargo build --release --locked -p valet-server --bin valet

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends libssl3 ca-certificates && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home /var/lib/valet --create-home valet
COPY --from=build /src/target/release/valet /usr/local/bin/valet
USER valet
WORKDIR /var/lib/valet
ENV VALET_LISTEN=0.0.0.0:8080 \
    VALET_DATA_DIR=/var/lib/valet \
    VALET_LOG_FORMAT=json
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s CMD ["/bin/sh", "-c", "exec 3<>/dev/tcp/127.0.0.1/8080 && printf 'GET /readyz HTTP/1.0\\r\\n\\r\\n' >&3 && grep -q ' 200 ' <&3"]
ENTRYPOINT ["valet"]
CMD ["serve"]
