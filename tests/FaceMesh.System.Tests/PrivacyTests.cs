using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.RegularExpressions;
using FaceMesh.Contracts.V1;
using Google.Protobuf;

namespace FaceMesh.SystemTests;

/// <summary>
/// Biometric data stays out of the logs: the Embedder, Matcher and Gateway run as processes with every log category
/// at Trace while faces are enrolled, verified, identified and deleted; their whole output is then searched.
/// </summary>
public sealed partial class PrivacyTests(LoopbackFleet fleet) : IClassFixture<LoopbackFleet>
{
    /// <summary>Eight or more numbers with decimals in a row: what a logged vector would look like.</summary>
    [GeneratedRegex(@"(-?\d+\.\d{3,}(E-?\d+)?[,;\s\]\[]+){8,}")]
    private static partial Regex VectorLike();

    private static Image Photo(string name) => new() { Content = ByteString.CopyFrom(File.ReadAllBytes(TestPaths.Example(name))) };

    [Fact]
    public async Task No_embedding_or_photo_appears_in_any_log_line_even_at_trace_level()
    {
        var output = new ConcurrentQueue<string>();
        int Port() => LoopbackService.FreePort();
        var (embedderGrpc, embedderHttp, matcherGrpc, matcherHttp, gatewayGrpc, gatewayHttp) = (Port(), Port(), Port(), Port(), Port(), Port());
        string[] trace = ["--Logging:LogLevel:Default=Trace", "--Logging:LogLevel:Microsoft=Trace", "--Logging:LogLevel:Grpc=Trace"];
        var processes = new List<Process>();
        try
        {
            Process Start(string service, params string[] settings) => TestProcess.StartService(service, [.. settings, .. trace], output);
            processes.Add(Start("Embedder", $"--Embedder:Pack={TestPaths.DefaultPack}", $"--Endpoints:GrpcPort={embedderGrpc}", $"--Endpoints:HttpPort={embedderHttp}"));
            processes.Add(Start("Matcher", $"--Endpoints:GrpcPort={matcherGrpc}", $"--Endpoints:HttpPort={matcherHttp}"));
            processes.Add(Start("Gateway", $"--Endpoints:GrpcPort={gatewayGrpc}", $"--Endpoints:HttpPort={gatewayHttp}", LoopbackFleet.Anonymous,
                $"--Gateway:DetectorAddress={fleet.Detector.GrpcAddress}", $"--Gateway:EmbedderAddress=http://127.0.0.1:{embedderGrpc}",
                $"--Gateway:MatcherAddress=http://127.0.0.1:{matcherGrpc}"));
            foreach (var http in new[] { embedderHttp, matcherHttp, gatewayHttp })
                await TestProcess.WaitReady(http);
            using var channel = Grpc.Net.Client.GrpcChannel.ForAddress($"http://127.0.0.1:{gatewayGrpc}");
            var client = new FaceMeshApi.FaceMeshApiClient(channel);
            var photo = Photo("obama.jpg");
            await client.EnrollAsync(new EnrollRequest { Gallery = "private", SubjectId = "obama", Photos = { new EnrollPhoto { Image = photo } } });
            var verified = await client.VerifyAsync(new VerifyRequest { Probe = Photo("obama2.jpg"), ReferenceSubject = new EnrolledSubject { Gallery = "private", SubjectId = "obama" } });
            Assert.True(verified.Match);
            await client.IdentifyAsync(new IdentifyRequest { Image = Photo("obama2.jpg"), Gallery = "private" });
            await client.DeleteSubjectAsync(new DeleteSubjectRequest { Gallery = "private", SubjectId = "obama" });
            // People: photos added, grouped, listed, named and erased.
            var added = await client.AddPhotosAsync(new AddPhotosRequest
            {
                Gallery = "private", WaitUntilGrouped = true,
                Photos = { new PeoplePhoto { PhotoId = "a", Image = photo }, new PeoplePhoto { PhotoId = "b",
                    Image = Photo("obama2.jpg") } },
            });
            string person = added.Photos[0].Faces[0].PersonId;
            Assert.Equal(2, (await client.NamePersonAsync(new NamePersonRequest
            {
                Gallery = "private", PersonId = person,
                SubjectId = "him"
            })).FaceCount);
            await client.DeletePersonAsync(new DeletePersonRequest { Gallery = "private", PersonId = person });

            var lines = output.ToArray();
            Assert.True(lines.Length > 100, $"only {lines.Length} log lines at Trace: the test would not see anything"); // the logs do talk
            Assert.Contains(lines, l => l.Contains("FaceMesh.Audit") || l.Contains("audit rpc=Enroll"));
            Assert.DoesNotContain(lines, l => VectorLike().IsMatch(l));
            string photoPrefix = Convert.ToBase64String(photo.Content.Span[..48]);
            Assert.DoesNotContain(lines, l => l.Contains(photoPrefix));           // no photo bytes (base64, as JSON would carry them)
            Assert.DoesNotContain(lines, l => l.Contains(verified.Score.ToString("R", System.Globalization.CultureInfo.InvariantCulture)));
        }
        finally
        {
            foreach (var process in processes)
            {
                if (!process.HasExited)
                    process.Kill();
                process.WaitForExit();
            }
        }
    }
}
