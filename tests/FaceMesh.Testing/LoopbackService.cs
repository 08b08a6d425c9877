using System.Net;
using System.Net.Sockets;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;

namespace FaceMesh.Testing;

/// <summary>A FaceMesh service started in this process on real Kestrel sockets on 127.0.0.1, ready.</summary>
public sealed class LoopbackService : IAsyncDisposable
{
    private LoopbackService(WebApplication app, int grpcPort, int httpPort)
    {
        App = app;
        GrpcAddress = $"http://127.0.0.1:{grpcPort}";
        Channel = GrpcChannel.ForAddress(GrpcAddress, new GrpcChannelOptions
        {
            MaxReceiveMessageSize = Contracts.V1.ApiLimits.MaxRequestBytes, MaxSendMessageSize = Contracts.V1.ApiLimits.MaxRequestBytes,
        });
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{httpPort}") };
    }

    public WebApplication App { get; }
    public string GrpcAddress { get; }
    public GrpcChannel Channel { get; }
    public HttpClient Http { get; }

    /// <summary>Builds the service with free ports and the given settings, starts it, waits for <c>/readyz</c>.</summary>
    public static async Task<LoopbackService> Start(Func<string[], WebApplication> build, params string[] settings)
    {
        var (app, grpc, http) = await StartOnFreePorts(build, settings);
        var service = new LoopbackService(app, grpc, http);
        for (int i = 0; i < 900; i++) // up to 90 s: every test tier shares the 2 cores (not a measure of start-up time)
        {
            if ((await service.Http.GetAsync("/readyz")).StatusCode == HttpStatusCode.OK)
                return service;
            await Task.Delay(100);
        }
        await service.DisposeAsync();
        throw new TimeoutException("The service did not report ready within 90 s.");
    }

    /// <summary>
    /// Starts the service on two free ports. A port found free can be taken before the service binds it (by another
    /// test process's outgoing connection, say); then it starts again on two other ports.
    /// </summary>
    private static async Task<(WebApplication App, int Grpc, int Http)> StartOnFreePorts(Func<string[], WebApplication> build,
        string[] settings)
    {
        for (int attempt = 1; ; attempt++)
        {
            int grpc = FreePort(), http = FreePort();
            string[] ports = [$"--Endpoints:GrpcPort={grpc}", $"--Endpoints:HttpPort={http}", "--Logging:LogLevel:Default=Warning"];
            var app = build([.. ports, .. settings]);
            try
            {
                await app.StartAsync();
                return (app, grpc, http);
            }
            catch (IOException e) when (attempt < 5 && e.InnerException is Microsoft.AspNetCore.Connections.AddressInUseException)
            {
                await app.DisposeAsync();
            }
        }
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        Channel.Dispose();
        Http.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
