# The reference base image: FROM it, add services (/etc/service/NAME/run) and
# startup scripts (/etc/my_init.d/), keep CMD ["/sbin/my_init"].
# Build the executables first (npm ci && npm run build), or run scripts/build-image.sh.
ARG BASE_IMAGE=ubuntu:24.04
FROM ${BASE_IMAGE}
# 1 leaves the part out.
ARG DISABLE_SYSLOG=0
ARG DISABLE_SSH=0
ARG DISABLE_CRON=0
# amd64 or arm64: set by BuildKit (docker build, buildx --platform) and by podman
# from the platform being built. Docker's legacy builder sets none: pass it.
ARG TARGETARCH
COPY image/ /bd_build/
RUN /bd_build/prepare.sh && \
    /bd_build/system_services.sh && \
    /bd_build/utilities.sh && \
    /bd_build/cleanup.sh
# Straight to its place, in a layer of its own, after the packages, so that a
# new executable reuses their layer. The scripts above only linked runit's names to it.
COPY dist/my_init-${TARGETARCH} /sbin/my_init
ENV DEBIAN_FRONTEND=teletype LANG=en_US.UTF-8 LANGUAGE=en_US:en LC_ALL=en_US.UTF-8
CMD ["/sbin/my_init"]
