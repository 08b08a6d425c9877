using MassTransit;
using System.Net.Sockets;

namespace FaceMesh.Testing;

/// <summary>
/// The test broker started by tests/run (deploy/local/rabbitmq): isolated virtual hosts, an outage on demand,
/// queue depths. Without a broker the tests that need one are skipped, unless FACEMESH_REQUIRE_RABBITMQ=1
/// (set by tests/run), when they fail.
/// </summary>
public static class RabbitMq
{
    public static bool Reachable()
    {
        try
        {
            using var socket = new TcpClient();
            socket.Connect("127.0.0.1", 5672);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>Null when the broker is up; otherwise why the test is skipped (or an exception when it is required).</summary>
    public static string? SkipReason()
    {
        if (Reachable())
            return null;
        if (Environment.GetEnvironmentVariable("FACEMESH_REQUIRE_RABBITMQ") == "1")
            throw new InvalidOperationException("RabbitMQ is required (FACEMESH_REQUIRE_RABBITMQ=1) but nothing listens on 127.0.0.1:5672; run deploy/local/rabbitmq start.");
        return "No RabbitMQ on 127.0.0.1:5672: run deploy/local/rabbitmq start (tests/run does).";
    }

    public static string Script(params string[] arguments)
    {
        var (code, output, error) = TestProcess.Run(Path.Combine(TestPaths.RepositoryRoot, "deploy", "local", "rabbitmq"), arguments);
        if (code != 0)
            throw new InvalidOperationException($"deploy/local/rabbitmq {string.Join(' ', arguments)} failed ({code}): {error}");
        return output.Trim();
    }

    public static int Messages(string virtualHost, string queue) => int.Parse(Script("messages", virtualHost, queue));

    /// <summary>Publishes events as the Gateway would (with publisher confirmations), on a bus of its own in the virtual host.</summary>
    public static async Task Publish(string virtualHost, params object[] events)
    {
        var bus = MassTransit.Bus.Factory.CreateUsingRabbitMq(cfg => cfg.Host("127.0.0.1", 5672, virtualHost, h =>
        {
            h.Username("guest");
            h.Password("guest");
            h.PublisherConfirmation = true;
        }));
        await bus.StartAsync();
        try
        {
            foreach (var e in events)
                await bus.Publish(e);
        }
        finally
        {
            await bus.StopAsync();
        }
    }
}
