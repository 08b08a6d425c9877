using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace FaceMesh.Messaging;

/// <summary>One place where the bus is configured, for the Gateway (publisher) and the Matcher (consumer).</summary>
public static class FaceMeshBus
{
    public static BusOptions ReadOptions(IConfiguration configuration) =>
        configuration.GetSection(BusOptions.Section).Get<BusOptions>() ?? new BusOptions();

    /// <summary>
    /// Adds MassTransit with the configured transport; <paramref name="consumers"/> registers consumers on the
    /// Matchers' queue, with retries for transient errors and an error queue (<c>{queue}_error</c>) after them.
    /// <paramref name="permanentErrors"/> go to the error queue at once (retrying cannot fix them).
    /// </summary>
    public static IServiceCollection AddFaceMeshBus(this IServiceCollection services, BusOptions options,
        Action<IBusRegistrationConfigurator>? consumers = null, params Type[] permanentErrors)
    {
        if (consumers is not null)
        {
            // A consumer's host starts (and reports ready) only once its queue is declared and bound: an event
            // published after that is queued for it even while it is down.
            services.AddOptions<MassTransitHostOptions>().Configure(host =>
            {
                host.WaitUntilStarted = true;
                host.StartTimeout = TimeSpan.FromSeconds(60);
                host.StopTimeout = TimeSpan.FromSeconds(30);
            });
        }
        services.AddMassTransit(bus =>
        {
            consumers?.Invoke(bus);
            bus.AddConfigureEndpointsCallback((_, _, endpoint) =>
            {
                endpoint.UseMessageRetry(retry =>
                {
                    retry.Interval(options.RetryAttempts - 1, TimeSpan.FromMilliseconds(options.RetryIntervalMilliseconds));
                    foreach (var error in permanentErrors)
                        retry.Ignore(error);
                });
                endpoint.ConcurrentMessageLimit = options.ConcurrentMessageLimit;
            });
            switch (options.Transport)
            {
                case "RabbitMq":
                    bus.UsingRabbitMq((context, cfg) =>
                    {
                        cfg.Host(options.Host, (ushort)options.Port, options.VirtualHost, host =>
                        {
                            host.Username(options.Username);
                            host.Password(options.Password);
                            host.PublisherConfirmation = true; // Publish returns once the broker has the message
                            host.Heartbeat(TimeSpan.FromSeconds(5));
                            host.RequestedConnectionTimeout(TimeSpan.FromSeconds(5));
                        });
                        cfg.ConfigureEndpoints(context);
                    });
                    break;
                case "InMemory":
                    bus.UsingInMemory((context, cfg) => cfg.ConfigureEndpoints(context));
                    break;
                default:
                    throw new InvalidOperationException($"Bus:Transport is '{options.Transport}'; use InMemory or RabbitMq (or leave it empty for no bus).");
            }
        });
        return services;
    }
}
