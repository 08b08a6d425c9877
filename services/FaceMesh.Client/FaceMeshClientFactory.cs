using FaceMesh.Contracts.V1;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;

namespace FaceMesh.Client;

/// <summary>A FaceMesh client without dependency injection (command-line tools, load generators).</summary>
public static class FaceMeshClientFactory
{
    /// <summary>Photos up to the Gateway's image limit travel in one message.</summary>
    public const int MaxMessageBytes = ApiLimits.MaxRequestBytes;

    public static (FaceMeshApi.FaceMeshApiClient Client, GrpcChannel Channel) Create(FaceMeshClientOptions options)
    {
        var channel = GrpcChannel.ForAddress(options.Address, new GrpcChannelOptions
        {
            ServiceConfig = RetryPolicies.OnUnavailable(options.MaxAttempts, TimeSpan.FromMilliseconds(200)),
            MaxSendMessageSize = MaxMessageBytes,
            MaxReceiveMessageSize = MaxMessageBytes,
        });
        return (new FaceMeshApi.FaceMeshApiClient(channel.Intercept(new ClientDefaults(options))), channel);
    }
}
