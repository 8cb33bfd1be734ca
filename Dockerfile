# The detection service on CPU, for local use: docker build -t detector . && docker run -p 8080:8080 detector

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY . .
RUN dotnet publish src/Inference.Api/Inference.Api.csproj -c Release -r linux-x64 --self-contained false -o /app

FROM mcr.microsoft.com/dotnet/aspnet:10.0
RUN mkdir -p /var/cache/inference \
    && chown app /var/cache/inference

ENV ASPNETCORE_HTTP_PORTS=8080 \
    Inference__ExecutionProvider=cpu \
    Model__CacheDirectory=/var/cache/inference

COPY --from=build /app /app
WORKDIR /app
# The non-root user the .NET images ship.
USER app
EXPOSE 8080

# Liveness answers as soon as Kestrel listens (the model loads behind readiness), so no start period is needed.
# No curl in this image: bash's /dev/tcp asks the service itself whether it is live.
HEALTHCHECK --interval=10s --timeout=5s --retries=3 \
    CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8080 && printf 'GET /health/live HTTP/1.0\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"]

# SageMaker runs `docker run <image> serve`: the argument reaches the service, which then follows SageMaker's
# contract (port 8080 or SAGEMAKER_BIND_TO_PORT, the model from /opt/ml/model); see the README.
ENTRYPOINT ["dotnet", "/app/Inference.Api.dll"]
