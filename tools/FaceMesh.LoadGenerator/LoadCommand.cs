using System.ComponentModel;
using System.Globalization;
using System.Text.Json;
using FaceMesh.Client;
using FaceMesh.Contracts.V1;
using FaceMesh.Hosting;
using FaceMesh.Imaging;
using Google.Protobuf;
using SkiaSharp;
using Spectre.Console;
using Spectre.Console.Cli;

namespace FaceMesh.LoadGenerator;

/// <summary>
/// <c>facemesh-load</c>, parsed as the <c>facemesh</c> CLI parses its commands: a load run against the Gateway
/// (Verify or Identify at a concurrency or rate), <c>--events</c> (enrollment events through RabbitMQ into a Matcher)
/// or <c>--soak</c> (mixed traffic for minutes, latency and memory sampled).
/// </summary>
public sealed class LoadCommand : AsyncCommand<LoadCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--server <URL>")]
        [Description("The Gateway's gRPC address.")]
        public string Server { get; init; } = FleetPorts.LocalAddress("Gateway");

        [CommandOption("--rpc <RPC>")]
        [Description("verify or identify.")]
        [DefaultValue("identify")]
        public string Rpc { get; init; } = "identify";

        [CommandOption("--concurrency <N>")]
        [DefaultValue(8)]
        public int Concurrency { get; init; } = 8;

        [CommandOption("--rate <PER_SECOND>")]
        [Description("Requests (or events) per second in total; unset: as fast as the concurrency allows (events: 200, soak: 10).")]
        public double? Rate { get; init; }

        [CommandOption("--duration <SECONDS>")]
        [DefaultValue(20.0)]
        public double Duration { get; init; } = 20;

        [CommandOption("--warmup <SECONDS>")]
        [DefaultValue(3.0)]
        public double Warmup { get; init; } = 3;

        [CommandOption("--photos <DIR>")]
        public string? Photos { get; init; }

        [CommandOption("--size <PIXELS>")]
        [Description("Photos are centre-cropped and resized to this square side before sending (0: as they are).")]
        [DefaultValue(250)]
        public int Size { get; init; } = 250;

        [CommandOption("--gallery <NAME>")]
        [DefaultValue("load")]
        public string Gallery { get; init; } = "load";

        [CommandOption("--enroll <DIR>")]
        [Description("A folder per person to enroll into the gallery before an Identify run.")]
        public string? Enroll { get; init; }

        [CommandOption("--json <OUT>")]
        public string? Json { get; init; }

        [CommandOption("--in-process <PACK_DIR>")]
        [Description("Run the same Verify in this process with this pack instead of calling the fleet (the overhead baseline).")]
        public string? InProcess { get; init; }

        [CommandOption("--events")]
        [Description("Publish enrollment events through RabbitMQ and wait until the Matcher can search them.")]
        public bool Events { get; init; }

        [CommandOption("--matcher <URL>")]
        public string? Matcher { get; init; }

        [CommandOption("--broker <HOST>")]
        [DefaultValue("127.0.0.1")]
        public string Broker { get; init; } = "127.0.0.1";

        [CommandOption("--vhost <VHOST>")]
        [DefaultValue("/")]
        public string VirtualHost { get; init; } = "/";

        [CommandOption("--soak")]
        [Description("Mixed traffic (60 % Verify, 25 % Identify, 10 % Enroll, 5 % DeleteSubject) for --minutes.")]
        public bool Soak { get; init; }

        [CommandOption("--minutes <M>")]
        [DefaultValue(30.0)]
        public double Minutes { get; init; } = 30;

        [CommandOption("--warmup-minutes <M>")]
        [DefaultValue(2.0)]
        public double WarmupMinutes { get; init; } = 2;

        [CommandOption("--out <DIR>")]
        [DefaultValue("artifacts/soak")]
        public string Out { get; init; } = "artifacts/soak";

        [CommandOption("--api-key <KEY>")]
        public string? ApiKey { get; init; }

        [CommandOption("--metrics <LIST>")]
        [Description("Service=URL pairs, comma-separated: each service's /metrics to sample during a soak.")]
        public string? Metrics { get; init; }

        public LoadOptions ToLoadOptions() => new()
        {
            Server = new Uri(Server),
            Rpc = Rpc,
            Concurrency = Concurrency,
            Rate = Rate ?? 0,
            Duration = TimeSpan.FromSeconds(Duration),
            Warmup = TimeSpan.FromSeconds(Warmup),
            Photos = Photos ?? throw new ArgumentException("--photos DIR is required: the photos to send."),
            Size = Size,
            Gallery = Gallery,
            Enroll = Enroll,
            Json = Json,
            InProcessPack = InProcess,
        };
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        if (settings.Events)
            return await RunEvents(settings);
        if (settings.Soak)
            return await RunSoak(settings);
        return await RunLoad(settings);
    }

    private static async Task<int> RunEvents(Settings settings)
    {
        var events = await EventLoad.Run(new Uri(settings.Matcher ?? FleetPorts.LocalAddress("Matcher")), settings.Broker, settings.VirtualHost,
            settings.Rate ?? 200, TimeSpan.FromSeconds(settings.Duration), Console.WriteLine);
        var eventsTable = new Table().AddColumns("target/s", "published", "searchable", "failed", "achieved/s", "confirm p50 ms", "lag p50 ms", "lag p95 ms", "lag p99 ms")
            .Title("Enrollment events: RabbitMQ → Matcher, publish to searchable");
        eventsTable.AddRow($"{events.TargetRate:F0}", $"{events.Published}", $"{events.Searchable}", $"{events.Failed}", $"{events.EventsPerSecond:F0}",
            Ms(events.ConfirmP50Ms), Ms(events.LagP50Ms), Ms(events.LagP95Ms), Ms(events.LagP99Ms));
        AnsiConsole.Write(eventsTable);
        if (settings.Json is { } eventsJson)
            File.WriteAllText(eventsJson, JsonSerializer.Serialize(events, new JsonSerializerOptions { WriteIndented = true }) + "\n");
        if (events.Searchable == 0)
        {
            Console.Error.WriteLine($"facemesh-load: none of the {events.Published} events became searchable ({events.Failed} failed): " +
                "check that a Matcher consumes the enrollment queue on this broker and virtual host (--broker, --vhost) " +
                "and that --matcher is its gRPC address.");
            return 1;
        }
        return 0;

        static string Ms(double? value) => value is { } ms ? $"{ms:F1}" : "none";
    }

    private static async Task<int> RunSoak(Settings settings)
    {
        var soakPhotos = Directory.EnumerateFiles(settings.Photos ?? throw new ArgumentException("--photos DIR is required."), "*.jpg", SearchOption.AllDirectories)
            .Order(StringComparer.Ordinal).Take(200).Select(p => Prepare(p, 250)).ToArray();
        var (soakClient, soakChannel) = FaceMeshClientFactory.Create(new FaceMeshClientOptions
        {
            Address = new Uri(settings.Server), ApiKey = settings.ApiKey ?? Environment.GetEnvironmentVariable("FACEMESH_API_KEY"),
        });
        using var __ = soakChannel;
        string output = settings.Out;
        var soak = await new Soak(soakClient, soakPhotos, settings.Rate ?? 10, TimeSpan.FromMinutes(settings.Minutes),
            TimeSpan.FromMinutes(settings.WarmupMinutes), "soak", MetricsEndpoints(settings.Metrics), Console.WriteLine).RunAsync(output);
        var soakTable = new Table().AddColumns("minutes", "rate/s", "requests", "errors", "p99 first ms", "p99 last ms", "p99 max ms", "RSS growth after warm-up",
                "growth outside the GC heap")
            .Title("FaceMesh soak (mixed traffic: 60 % Verify, 25 % Identify, 10 % Enroll, 5 % DeleteSubject)");
        soakTable.AddRow($"{soak.Minutes:F1}", $"{soak.Rate:0.#}", $"{soak.Requests}",
            soak.Errors.Count == 0 ? "0" : Markup.Escape(string.Join(", ", soak.Errors.Select(e => $"{e.Key} {e.Value}"))),
            $"{soak.P99FirstMs:F1}", $"{soak.P99LastMs:F1}", $"{soak.P99MaxMs:F1}",
            Markup.Escape(string.Join(", ", soak.RssGrowthPercent.Select(kv => $"{kv.Key} {kv.Value:+0.0;-0.0} %"))),
            Markup.Escape(string.Join(", ", soak.OutsideGcGrowthPercent.Select(kv => $"{kv.Key} {kv.Value:+0.0;-0.0} %"))));
        AnsiConsole.Write(soakTable);
        File.WriteAllText(Path.Combine(output, "soak.json"), JsonSerializer.Serialize(soak, new JsonSerializerOptions { WriteIndented = true }) + "\n");
        Console.WriteLine($"written: {output}/soak.csv, soak.json, soak-latency.png, soak-memory.png{(soak.OutsideGcGrowthPercent.Count > 0 ? ", soak-gc.png" : "")}");
        return 0;
    }

    private static async Task<int> RunLoad(Settings settings)
    {
        var options = settings.ToLoadOptions();
        var photos = Directory.EnumerateFiles(options.Photos, "*.*", SearchOption.AllDirectories)
            .Where(p => p.EndsWith(".jpg", StringComparison.OrdinalIgnoreCase) || p.EndsWith(".png", StringComparison.OrdinalIgnoreCase))
            .Order(StringComparer.Ordinal).Take(200).Select(p => Prepare(p, options.Size)).ToArray();
        if (photos.Length < 2)
            throw new ArgumentException($"--photos {options.Photos}: need at least two JPEG or PNG photos.");

        var (client, channel) = FaceMeshClientFactory.Create(new FaceMeshClientOptions { Address = options.Server, DefaultDeadline = TimeSpan.FromSeconds(60) });
        using var _ = channel;
        if (options.Enroll is not null && options.InProcessPack is null)
            foreach (var dir in Directory.GetDirectories(options.Enroll))
                foreach (var file in Directory.GetFiles(dir))
                {
                    var photo = new EnrollPhoto { Image = new Image { Content = ByteString.CopyFrom(File.ReadAllBytes(file)) } };
                    var faces = client.Detect(new DetectRequest { Image = photo.Image }).Faces;
                    if (faces.Count == 0)
                        continue;
                    photo.FaceIndex = faces.LargestFace();
                    client.Enroll(new EnrollRequest { Gallery = options.Gallery, SubjectId = Path.GetFileName(dir), Photos = { photo } });
                }

        int counter = 0;
        using var local = options.InProcessPack is { } packDir ? FaceMesh.Pipeline.FacePipeline.Open(packDir) : null;
        Func<CancellationToken, Task> call = (options.Rpc, local) switch
        {
            ("verify", not null) => VerifyInProcess,
            (_, not null) => throw new ArgumentException("--in-process runs verify only."),
            ("verify", _) => Verify,
            ("identify", _) => Identify,
            _ => throw new ArgumentException($"--rpc {options.Rpc}: use verify or identify."),
        };

        // The fleet's Verify, done here: decode and detect both photos, embed both crops in one batch, compare.
        Task VerifyInProcess(CancellationToken token)
        {
            int i = Interlocked.Increment(ref counter);
            var a = local!.FindPrimary(ImageDecoder.Decode(photos[i % photos.Length].Content.ToByteArray()));
            var b = local.FindPrimary(ImageDecoder.Decode(photos[(i + 1) % photos.Length].Content.ToByteArray()));
            if (a is not null && b is not null)
            {
                var e = local.Embed([a, b]);
                FaceMesh.Pipeline.Embedding.CosineSimilarity.Of(e[0], e[1]);
            }
            return Task.CompletedTask;
        }

        async Task Verify(CancellationToken token)
        {
            int i = Interlocked.Increment(ref counter);
            await client.VerifyAsync(new VerifyRequest { Probe = photos[i % photos.Length], ReferenceImage = photos[(i + 1) % photos.Length] }, cancellationToken: token);
        }

        async Task Identify(CancellationToken token)
        {
            int i = Interlocked.Increment(ref counter);
            await client.IdentifyAsync(new IdentifyRequest { Gallery = options.Gallery, Image = photos[i % photos.Length] }, cancellationToken: token);
        }

        var result = await new LoadRun(call, options).RunAsync();
        var table = new Table().AddColumns("rpc", "concurrency", "rate", "requests", "ok", "errors", "req/s", "p50 ms", "p95 ms", "p99 ms")
            .Title($"FaceMesh load, {result.Seconds:F0} s against {options.Server}");
        table.AddRow(result.Rpc, $"{result.Concurrency}", result.TargetRate > 0 ? $"{result.TargetRate:F0}/s" : "closed loop", $"{result.Requests}", $"{result.Succeeded}",
                     result.Errors.Count == 0 ? "0" : Markup.Escape(string.Join(", ", result.Errors.Select(e => $"{e.Key} {e.Value}"))),
                     $"{result.Throughput:F1}", $"{result.P50Ms:F1}", $"{result.P95Ms:F1}", $"{result.P99Ms:F1}");
        AnsiConsole.Write(table);
        if (options.Json is not null)
            File.WriteAllText(options.Json, JsonSerializer.Serialize(result, new JsonSerializerOptions { WriteIndented = true }) + "\n");
        return 0;
    }

    private static Image Prepare(string path, int size)
    {
        var bytes = File.ReadAllBytes(path);
        if (size > 0)
        {
            var image = ImageDecoder.Decode(bytes);
            int side = Math.Min(image.Width, image.Height);
            var square = Resampler.Crop(image, (image.Width - side) / 2, (image.Height - side) / 2, side, side);
            bytes = ImageEncoder.Encode(Resampler.Resize(square, size, size), SKEncodedImageFormat.Jpeg, 90);
        }
        return new Image { Content = ByteString.CopyFrom(bytes) };
    }

    // --metrics Gateway=http://127.0.0.1:5001/metrics,Matcher=http://127.0.0.1:5031/metrics
    private static IReadOnlyDictionary<string, Uri> MetricsEndpoints(string? list) =>
        (list ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(entry => entry.Split('=', 2) is [var name, var url]
            ? (name, new Uri(url))
            : throw new ArgumentException($"--metrics takes Service=URL pairs separated by commas; '{entry}' is not one."))
        .ToDictionary(p => p.name, p => p.Item2);
}
