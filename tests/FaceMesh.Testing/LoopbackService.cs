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
        int grpc = FreePort(), http = FreePort();
        var app = build([$"--Endpoints:GrpcPort={grpc}", $"--Endpoints:HttpPort={http}", "--Logging:LogLevel:Default=Warning", .. settings]);
        await app.StartAsync();
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
