using System.Collections.Concurrent;
using FaceMesh.Contracts.V1;
using Google.Protobuf;
using Grpc.Core;
using SkiaSharp;

namespace FaceMesh.SystemTests;

/// <summary>
/// A Detector process under a burst of large photos keeps to its memory: the decode budget bounds the pixels held at
/// once, a request that cannot get room in time is refused with RESOURCE_EXHAUSTED and retry-after-ms, nothing crashes.
/// (Resident memory is read from /proc, so this runs on Linux.)
/// </summary>
public sealed class DetectorMemoryTests
{
    /// <summary>The chart's memory limit for a Detector (charts/facemesh/values.yaml: detector.resources.limits.memory).</summary>
    private const long ChartLimit = 1L << 30;

    [SkippableFact]
    public async Task Sixteen_concurrent_40_megapixel_pngs_twice_stay_within_the_charts_memory_limit()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "Reads the process's peak resident memory from /proc.");
        // One colour, 6000×6600: 39.6 megapixels (under the 40-megapixel limit) in about 50 KB of PNG.
        byte[] png;
        using (var bitmap = new SKBitmap(6000, 6600))
        {
            bitmap.Erase(new SKColor(200, 180, 160));
            png = bitmap.Encode(SKEncodedImageFormat.Png, 100).ToArray();
        }
        int grpc = LoopbackService.FreePort(), http = LoopbackService.FreePort();
        var process = TestProcess.StartService("Detector", [$"--Detector:Pack={TestPaths.DefaultPack}", $"--Endpoints:GrpcPort={grpc}",
            $"--Endpoints:HttpPort={http}", "--Logging:LogLevel:Default=Warning"]);
        try
        {
            await TestProcess.WaitReady(http);
            using var channel = Grpc.Net.Client.GrpcChannel.ForAddress($"http://127.0.0.1:{grpc}");
            var client = new DetectorService.DetectorServiceClient(channel);
            var request = new DetectFacesRequest { Image = new Image { Content = ByteString.CopyFrom(png) } };
            var outcomes = new ConcurrentBag<string>();
            for (int burst = 0; burst < 2; burst++)
                await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(async () =>
                {
                    try
                    {
                        var answer = await client.DetectAsync(request, deadline: DateTime.UtcNow.AddMinutes(3));
                        Assert.Equal((6000, 6600), (answer.ImageWidth, answer.ImageHeight));
                        Assert.Empty(answer.Faces);
                        outcomes.Add("ok");
                    }
                    catch (RpcException e) when (e.StatusCode == StatusCode.ResourceExhausted)
                    {
                        var retryAfter = e.Trailers.GetValue("retry-after-ms");
                        Assert.True(int.TryParse(retryAfter, out int ms) && ms > 0, $"RESOURCE_EXHAUSTED without retry-after-ms: {e.Status.Detail}");
                        Assert.Contains("decode budget", e.Status.Detail);
                        outcomes.Add("refused");
                    }
                })));
            long peak = PeakResidentBytes(process.Id);
            Console.WriteLine($"Detector ({TestProcess.ServiceDirectory}), 2 bursts of 16 concurrent 6000x6600 PNGs: peak resident {peak / 1048576.0:F0} MiB, " +
                              $"{outcomes.Count(o => o == "ok")} answered, {outcomes.Count(o => o == "refused")} refused");
            using var metricsClient = new HttpClient();
            var metrics = await metricsClient.GetStringAsync($"http://127.0.0.1:{http}/metrics");
            double budgetPeak = PrometheusText.Sample(metrics, "facemesh_detector_decode_budget_peak_bytes");
            double budgetLimit = PrometheusText.Sample(metrics, "facemesh_detector_decode_budget_limit_bytes");
            Console.WriteLine($"decode budget peak {budgetPeak / 1048576.0:F0} of {budgetLimit / 1048576.0:F0} MiB");
            Assert.False(process.HasExited);
            Assert.Equal(32, outcomes.Count);
            Assert.Contains("ok", outcomes);
            Assert.InRange(budgetPeak, 1, budgetLimit);
            Assert.True(peak < ChartLimit, $"peak resident memory {peak / 1048576.0:F0} MiB is over the chart's 1024 MiB");
        }
        finally
        {
            if (!process.HasExited)
                process.Kill();
            process.WaitForExit();
        }
    }

    /// <summary>VmHWM: the process's peak resident set size.</summary>
    public static long PeakResidentBytes(int pid) =>
        File.ReadLines($"/proc/{pid}/status").Where(l => l.StartsWith("VmHWM:", StringComparison.Ordinal))
            .Select(l => long.Parse(l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024).Single();
}
