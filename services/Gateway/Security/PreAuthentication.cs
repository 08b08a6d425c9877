using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace FaceMesh.Gateway.Security;

/// <summary>
/// Checks a public call's credentials from its headers, before its body is read or parsed: a caller without valid
/// credentials costs a header lookup, not a 32 MB message. Failed attempts are rate-limited per peer address
/// (<see cref="AuthOptions.UnauthenticatedPerSecond"/>), so guessing keys or flooding with anonymous photos is slow.
/// The caller it finds is handed to <see cref="GatewayGuard"/> (which checks roles and per-key rates and audits),
/// so credentials are validated once. Health, metrics and reflection are not public API calls and pass untouched.
/// </summary>
public sealed class PreAuthentication : IDisposable
{
    public const string CallerItem = "facemesh.caller";

    private readonly GatewayGuard _guard;
    private readonly AuthOptions _options;
    private readonly PartitionedRateLimiter<string> _failures;

    public PreAuthentication(GatewayGuard guard, IOptions<AuthOptions> options)
    {
        _guard = guard;
        _options = options.Value;
        double rate = _options.UnauthenticatedPerSecond;
        _failures = PartitionedRateLimiter.Create<string, string>(peer => rate <= 0
            ? RateLimitPartition.GetNoLimiter(peer)
            : RateLimitPartition.GetTokenBucketLimiter(peer, _ => new TokenBucketRateLimiterOptions
            {
                TokenLimit = _options.UnauthenticatedBurst, TokensPerPeriod = 1, ReplenishmentPeriod = TimeSpan.FromSeconds(1 / rate),
                QueueLimit = 0, AutoReplenishment = true,
            }));
    }

    /// <summary>The public API: the gRPC service and its JSON routes.</summary>
    public static bool IsPublicCall(PathString path) =>
        path.StartsWithSegments("/facemesh.v1.FaceMeshApi") || path.StartsWithSegments("/v1");

    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        if (!IsPublicCall(context.Request.Path))
        {
            await next(context);
            return;
        }
        var (caller, refusal) = await _guard.AuthenticateHeaders(
            context.Request.Headers[GatewayGuard.ApiKeyHeader].ToString(), context.Request.Headers.Authorization.ToString());
        if (caller is not null)
        {
            context.Items[CallerItem] = caller;
            await next(context);
            return;
        }
        string peer = context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        using var lease = _failures.AttemptAcquire(peer);
        if (!lease.IsAcquired)
        {
            var after = lease.TryGetMetadata(MetadataName.RetryAfter, out var retry) ? retry : TimeSpan.FromSeconds(1);
            await Refuse(context, Grpc.Core.StatusCode.ResourceExhausted, StatusCodes.Status429TooManyRequests,
                $"Too many unauthenticated calls from {peer} " +
                $"({_options.UnauthenticatedPerSecond:0.###}/s allowed, bursts of {_options.UnauthenticatedBurst}); " +
                $"retry after {after.TotalMilliseconds:0} ms with valid credentials.", (long)Math.Ceiling(after.TotalMilliseconds));
            return;
        }
        await Refuse(context, Grpc.Core.StatusCode.Unauthenticated, StatusCodes.Status401Unauthorized, refusal!, null);
    }

    /// <summary>A gRPC trailers-only answer, or for the JSON routes the transcoder's error shape; the body is never read.</summary>
    private static async Task Refuse(HttpContext context, Grpc.Core.StatusCode status, int httpStatus, string message, long? retryAfterMs)
    {
        var response = context.Response;
        if (retryAfterMs is { } ms)
            response.Headers[GatewayGuard.RetryAfterTrailer] = ms.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (context.Request.ContentType?.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase) == true)
        {
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = "application/grpc";
            response.Headers["grpc-status"] = ((int)status).ToString(System.Globalization.CultureInfo.InvariantCulture);
            response.Headers["grpc-message"] = Uri.EscapeDataString(message);
            await response.CompleteAsync();
            return;
        }
        response.StatusCode = httpStatus;
        await response.WriteAsJsonAsync(new { code = (int)status, message });
    }

    public void Dispose() => _failures.Dispose();
}
