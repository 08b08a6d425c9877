using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace FaceMesh.Hosting;

/// <summary>
/// Whether the service is ready for traffic (models loaded and warmed up). <c>/readyz</c> and the
/// gRPC health service answer NOT_SERVING until <see cref="MarkReady"/> is called.
/// </summary>
public sealed class Readiness : IHealthCheck
{
    private volatile string? _notReadyBecause = "starting";

    public bool IsReady => _notReadyBecause is null;

    public void MarkReady() => _notReadyBecause = null;

    public void MarkNotReady(string reason) => _notReadyBecause = reason;

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(_notReadyBecause is { } reason ? HealthCheckResult.Unhealthy(reason) : HealthCheckResult.Healthy());
}
