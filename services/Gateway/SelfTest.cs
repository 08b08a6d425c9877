using System.Diagnostics;
using FaceMesh.Contracts.V1;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;

namespace FaceMesh.Gateway;

/// <summary>
/// <c>facemesh-service selftest</c>, the Gateway image's second use (the chart's <c>helm test</c> pod): one Verify of
/// two photos of the same person through a running Gateway, with a real API key. Exit code 0 only when the fleet
/// answered and called them the same person, so the whole path (Gateway, Detector, Embedder, Matcher, model packs,
/// credentials) is shown to work; 1 otherwise, with what went wrong.
/// </summary>
public static class SelfTest
{
    public const string Usage = "usage: facemesh-service selftest --gateway http(s)://host:port --api-key-file FILE --probe PHOTO --reference PHOTO [--tls-skip-verify] [--timeout-seconds N]";

    public static async Task<int> RunAsync(string[] args, TextWriter output)
    {
        var options = new Dictionary<string, string>();
        bool skipVerify = false;
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--tls-skip-verify")
                skipVerify = true;
            else if (args[i].StartsWith("--", StringComparison.Ordinal) && i + 1 < args.Length)
                options[args[i][2..]] = args[++i];
            else
                return Fail(output, $"selftest: unexpected argument '{args[i]}'.\n{Usage}");
        }
        foreach (var required in new[] { "gateway", "api-key-file", "probe", "reference" })
        {
            if (!options.ContainsKey(required))
                return Fail(output, $"selftest: --{required} is required.\n{Usage}");
        }
        foreach (var file in new[] { options["api-key-file"], options["probe"], options["reference"] })
        {
            if (!File.Exists(file))
                return Fail(output, $"selftest: {file} does not exist (the chart mounts tests.apiKeySecret and tests.photosConfigMap there).");
        }
        var key = File.ReadAllText(options["api-key-file"]).Trim();
        double timeout = options.TryGetValue("timeout-seconds", out var t) && double.TryParse(t, System.Globalization.CultureInfo.InvariantCulture, out var seconds) ? seconds : 60;
        var handler = new SocketsHttpHandler();
        if (skipVerify)
            handler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true; // the release's own Gateway, by its internal name
        using var channel = GrpcChannel.ForAddress(options["gateway"], new GrpcChannelOptions { HttpHandler = handler, MaxSendMessageSize = ApiLimits.MaxRequestBytes });
        var client = new FaceMeshApi.FaceMeshApiClient(channel);
        var request = new VerifyRequest
        {
            Probe = new Image { Content = ByteString.CopyFrom(File.ReadAllBytes(options["probe"])) },
            ReferenceImage = new Image { Content = ByteString.CopyFrom(File.ReadAllBytes(options["reference"])) },
        };
        var clock = Stopwatch.StartNew();
        try
        {
            var answer = await client.VerifyAsync(request, new Metadata { { Security.GatewayGuard.ApiKeyHeader, key } }, DateTime.UtcNow.AddSeconds(timeout));
            var line = $"Verify through {options["gateway"]}: score {answer.Score:F3}, threshold {answer.Threshold:F3} at FAR {answer.Far:G3}, model {answer.ModelId}, {clock.ElapsedMilliseconds} ms";
            if (!answer.Match)
                return Fail(output, $"selftest FAILED: the two photos were not matched ({line}). They must show the same person; if they do, the model pack or its thresholds are wrong.");
            output.WriteLine($"selftest passed: {line}.");
            return 0;
        }
        catch (RpcException e)
        {
            return Fail(output, $"selftest FAILED: Verify through {options["gateway"]} answered {e.StatusCode}: {e.Status.Detail}");
        }
    }

    private static int Fail(TextWriter output, string message)
    {
        output.WriteLine(message);
        return 1;
    }
}
