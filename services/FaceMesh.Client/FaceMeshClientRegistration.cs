using Microsoft.Extensions.DependencyInjection;

namespace FaceMesh.Client;

public static class FaceMeshClientRegistration
{
    /// <summary>
    /// Registers <c>FaceMeshApi.FaceMeshApiClient</c> for injection, with the retry policy, the default
    /// deadline and the credentials of <paramref name="configure"/>.
    /// </summary>
    public static IHttpClientBuilder AddFaceMeshClient(this IServiceCollection services, Action<FaceMeshClientOptions> configure)
    {
        var options = new FaceMeshClientOptions();
        configure(options);
        return services.AddGrpcClient<Contracts.V1.FaceMeshApi.FaceMeshApiClient>(client => client.Address = options.Address)
            .ConfigureChannel(channel =>
            {
                channel.ServiceConfig = RetryPolicies.OnUnavailable(options.MaxAttempts, TimeSpan.FromMilliseconds(200));
                channel.MaxSendMessageSize = FaceMeshClientFactory.MaxMessageBytes;
                channel.MaxReceiveMessageSize = FaceMeshClientFactory.MaxMessageBytes;
            })
            .AddInterceptor(() => new ClientDefaults(options));
    }
}
