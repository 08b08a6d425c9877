using Grpc.Core;
using Grpc.Net.Client.Configuration;

namespace FaceMesh.Client;

/// <summary>The client library's gRPC retry policy (the Gateway has its own for its internal calls).</summary>
public static class RetryPolicies
{
    /// <summary>
    /// Every method retried on UNAVAILABLE with exponential back-off, within the call's deadline. FaceMesh's
    /// calls may all be retried: enrollments are keyed by face id, so a repeated one is the same one.
    /// </summary>
    public static ServiceConfig OnUnavailable(int maxAttempts, TimeSpan initialBackoff) => new()
    {
        MethodConfigs =
        {
            new MethodConfig
            {
                Names = { MethodName.Default },
                RetryPolicy = new RetryPolicy
                {
                    MaxAttempts = Math.Max(2, maxAttempts),
                    InitialBackoff = initialBackoff,
                    MaxBackoff = TimeSpan.FromSeconds(2),
                    BackoffMultiplier = 2,
                    RetryableStatusCodes = { StatusCode.Unavailable },
                },
            },
        },
    };
}
