using System.Security.Cryptography.X509Certificates;
using System.Security.Claims;
using System.Text.Json;
using FaceMesh.Client;
using FaceMesh.Contracts.V1;
using FaceMesh.Detector;
using FaceMesh.Embedder;
using FaceMesh.Gateway;
using FaceMesh.Gateway.Security;
using FaceMesh.Hosting;
using FaceMesh.Matcher;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace FaceMesh.SystemTests;

/// <summary>
/// A fleet as production runs it: the internal services need the fleet token, the Gateway takes API keys from a
/// file (read again when it changes) and HS256 JWTs, limits each key's rate and writes an audit file.
/// </summary>
public sealed class SecuredFleet : IAsyncLifetime
{
    public const string FleetTokenValue = "fleet-token-0123456789abcdef";
    public static readonly byte[] JwtKey = Enumerable.Range(1, 32).Select(i => (byte)(i * 7)).ToArray();
    public const string Issuer = "https://issuer.facemesh.test", Audience = "facemesh-gateway";

    public LoopbackService Detector { get; private set; } = null!;
    public LoopbackService Embedder { get; private set; } = null!;
    public LoopbackService Matcher { get; private set; } = null!;
    public LoopbackService Gateway { get; private set; } = null!;
    public string KeysFile { get; } = Path.Combine(TestPaths.NewTempDirectory(), "keys.json");
    public string AuditFile { get; } = Path.Combine(TestPaths.NewTempDirectory(), "audit.jsonl");
    public Dictionary<string, string> Keys { get; } = [];

    public async Task InitializeAsync()
    {
        WriteKeys([("acme-admin", "acme", "admin", 0), ("acme-reader", "acme", "reader", 0), ("globex-admin", "globex", "admin", 0), ("acme-slow", "acme", "reader", 1)]);
        string token = $"--Fleet:Token={FleetTokenValue}";
        Detector = await LoopbackService.Start(DetectorHost.Build, $"--Detector:Pack={TestPaths.DefaultPack}", token);
        Embedder = await LoopbackService.Start(EmbedderHost.Build, $"--Embedder:Pack={TestPaths.DefaultPack}", "--Embedder:MaxQueueDelayMs=10", token);
        Matcher = await LoopbackService.Start(MatcherHost.Build, token);
        Gateway = await LoopbackService.Start(GatewayHost.Build, token,
            $"--Gateway:DetectorAddress={Detector.GrpcAddress}", $"--Gateway:EmbedderAddress={Embedder.GrpcAddress}", $"--Gateway:MatcherAddress={Matcher.GrpcAddress}",
            $"--Gateway:Auth:ApiKeysFile={KeysFile}", "--Gateway:Auth:ReloadSeconds=0.2", $"--Gateway:Auth:AuditFile={AuditFile}",
            "--Gateway:Auth:RequestsPerSecond=1000", "--Gateway:Auth:Burst=1000",
            $"--Gateway:Auth:Jwt:Issuer={Issuer}", $"--Gateway:Auth:Jwt:Audience={Audience}", $"--Gateway:Auth:Jwt:HmacKeys:0={Convert.ToBase64String(JwtKey)}");
    }

    /// <summary>Writes the keys file (id, tenant, role, rate); the keys themselves are kept in <see cref="Keys"/>.</summary>
    public void WriteKeys(IEnumerable<(string Id, string Tenant, string Role, double Rate)> keys)
    {
        var entries = keys.Select(k =>
        {
            if (!Keys.TryGetValue(k.Id, out var key))
                Keys[k.Id] = key = ApiKeys.New();
            return new { id = k.Id, sha256 = ApiKeys.Hash(key), tenant = k.Tenant, role = k.Role, requestsPerSecond = k.Rate, burst = k.Rate > 0 ? 2 : 0 };
        }).ToArray();
        var temporary = KeysFile + ".tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(new { apiKeys = entries }));
        File.Move(temporary, KeysFile, overwrite: true); // replaced whole, as a Kubernetes secret mount does
    }

    public FaceMeshApi.FaceMeshApiClient Client => new(Gateway.Channel);

    public static CallOptions As(string key) => new(new Metadata { { "x-api-key", key } }, deadline: DateTime.UtcNow.AddSeconds(60));
    public CallOptions AsKey(string id) => As(Keys[id]);
    public static CallOptions Bearer(string token) => new(new Metadata { { "authorization", $"Bearer {token}" } }, deadline: DateTime.UtcNow.AddSeconds(60));

    public static string Jwt(string? tenant, string? role, DateTime? expires = null, string audience = Audience, byte[]? key = null)
    {
        var claims = new Dictionary<string, object> { ["sub"] = "svc-42" };
        if (tenant is not null)
            claims["tenant"] = tenant;
        if (role is not null)
            claims["role"] = role;
        var expiry = expires ?? DateTime.UtcNow.AddMinutes(10);
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer, Audience = audience, Claims = claims, NotBefore = expiry.AddMinutes(-20), Expires = expiry, IssuedAt = expiry.AddMinutes(-20),
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(key ?? JwtKey), SecurityAlgorithms.HmacSha256),
        });
    }

    public async Task DisposeAsync()
    {
        await Gateway.DisposeAsync();
        await Matcher.DisposeAsync();
        await Embedder.DisposeAsync();
        await Detector.DisposeAsync();
    }
}

public sealed class SecurityTests(SecuredFleet fleet) : IClassFixture<SecuredFleet>
{
    private static Image Photo(string name) => new() { Content = ByteString.CopyFrom(File.ReadAllBytes(TestPaths.Example(name))) };

    private static EnrollRequest Enrollment(string gallery, string subject, string photo) =>
        new() { Gallery = gallery, SubjectId = subject, Photos = { new EnrollPhoto { Image = Photo(photo) } }, WaitUntilSearchable = true };

    /// <summary>Every public RPC, called with the given options on the given gallery and subject.</summary>
    private static IEnumerable<(string Rpc, Func<Task> Call)> EveryRpc(FaceMeshApi.FaceMeshApiClient client, CallOptions options, string gallery, string subject) =>
    [
        ("Verify", async () => await client.VerifyAsync(new VerifyRequest { Probe = Photo("obama2.jpg"), ReferenceSubject = new EnrolledSubject { Gallery = gallery, SubjectId = subject } }, options)),
        ("Identify", async () => await client.IdentifyAsync(new IdentifyRequest { Image = Photo("obama2.jpg"), Gallery = gallery }, options)),
        ("Enroll", async () => await client.EnrollAsync(Enrollment(gallery, subject, "obama.jpg"), options)),
        ("DeleteSubject", async () => await client.DeleteSubjectAsync(new DeleteSubjectRequest { Gallery = gallery, SubjectId = subject }, options)),
        ("GetSubject", async () => await client.GetSubjectAsync(new GetSubjectRequest { Gallery = gallery, SubjectId = subject }, options)),
        ("ListSubjects", async () => await client.ListSubjectsAsync(new ListSubjectsRequest { Gallery = gallery }, options)),
        ("ListGalleries", async () => await client.ListGalleriesAsync(new ListGalleriesRequest(), options)),
        ("Detect", async () => await client.DetectAsync(new DetectRequest { Image = Photo("obama2.jpg") }, options)),
    ];

    private static async Task<RpcException> Refused(Func<Task> call) => await Assert.ThrowsAsync<RpcException>(call);

    [Fact]
    public async Task Every_rpc_without_credentials_or_with_an_unknown_key_is_unauthenticated_and_says_how_to_authenticate()
    {
        foreach (var (rpc, call) in EveryRpc(fleet.Client, new CallOptions(deadline: DateTime.UtcNow.AddSeconds(30)), "staff", "obama"))
        {
            var e = await Refused(call);
            Assert.True(e.StatusCode == StatusCode.Unauthenticated, $"{rpc}: {e.StatusCode} {e.Status.Detail}");
            Assert.Contains("no credentials", e.Status.Detail);
            Assert.Contains("x-api-key", e.Status.Detail);
        }
        foreach (var (rpc, call) in EveryRpc(fleet.Client, SecuredFleet.As("fm_not-a-key"), "staff", "obama"))
        {
            var e = await Refused(call);
            Assert.True(e.StatusCode == StatusCode.Unauthenticated, $"{rpc}: {e.StatusCode}");
            Assert.Contains("not known", e.Status.Detail);
        }
    }

    [Fact]
    public async Task Server_info_needs_credentials_and_a_reader_may_read_it_but_the_console_and_the_openapi_document_need_none()
    {
        var e = await Refused(async () => await fleet.Client.GetInfoAsync(new GetInfoRequest()));
        Assert.Equal(StatusCode.Unauthenticated, e.StatusCode);
        var info = await fleet.Client.GetInfoAsync(new GetInfoRequest(), fleet.AsKey("acme-reader"));
        Assert.Equal("default", info.Model.Pack);
        Assert.NotEmpty(info.Model.ModelId);

        // Over HTTP: the JSON route is the same call; the page and the document are not API calls.
        using var anonymous = await fleet.Gateway.Http.GetAsync("/v1/info");
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, anonymous.StatusCode);
        using var withKey = new HttpRequestMessage(HttpMethod.Get, "/v1/info") { Headers = { { "x-api-key", fleet.Keys["acme-reader"] } } };
        using var answered = await fleet.Gateway.Http.SendAsync(withKey);
        Assert.Equal(System.Net.HttpStatusCode.OK, answered.StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.OK, (await fleet.Gateway.Http.GetAsync("/")).StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.OK, (await fleet.Gateway.Http.GetAsync("/openapi/v1.json")).StatusCode);
    }

    [Fact]
    public async Task The_client_library_sends_its_configured_api_key_on_every_call()
    {
        var services = new ServiceCollection();
        services.AddFaceMeshClient(o =>
        {
            o.Address = new Uri(fleet.Gateway.GrpcAddress);
            o.ApiKey = fleet.Keys["acme-reader"];
        });
        await using var provider = services.BuildServiceProvider();
        var client = provider.GetRequiredService<FaceMeshApi.FaceMeshApiClient>();
        var response = await client.VerifyAsync(new VerifyRequest { Probe = Photo("obama.jpg"), ReferenceImage = Photo("obama2.jpg") });
        Assert.True(response.Match, $"score {response.Score}");
    }

    [Fact]
    public async Task A_reader_may_verify_identify_detect_and_read_but_not_enroll_or_delete()
    {
        await fleet.Client.EnrollAsync(Enrollment("readers", "obama", "obama.jpg"), fleet.AsKey("acme-admin"));
        var reader = fleet.AsKey("acme-reader");
        foreach (var (rpc, call) in EveryRpc(fleet.Client, reader, "readers", "obama"))
        {
            if (rpc is "Enroll" or "DeleteSubject")
            {
                var e = await Refused(call);
                Assert.Equal(StatusCode.PermissionDenied, e.StatusCode);
                Assert.Contains("needs the admin role", e.Status.Detail);
                Assert.Contains("acme-reader", e.Status.Detail);
            }
            else
            {
                await call(); // allowed
            }
        }
        var verified = await fleet.Client.VerifyAsync(new VerifyRequest { Probe = Photo("obama2.jpg"), ReferenceSubject = new EnrolledSubject { Gallery = "readers", SubjectId = "obama" } }, reader);
        Assert.True(verified.Match);
        Assert.Single((await fleet.Client.GetSubjectAsync(new GetSubjectRequest { Gallery = "readers", SubjectId = "obama" }, reader)).FaceIds); // the reader's deletion did nothing
    }

    [Fact]
    public async Task Another_tenants_gallery_answers_exactly_as_a_missing_one_for_every_rpc_and_is_left_untouched()
    {
        // Before acme's gallery exists, globex gets one set of answers; after acme enrolled, globex must get the same.
        var globex = fleet.AsKey("globex-admin");
        string[] readOnly = ["Verify", "Identify", "GetSubject", "ListSubjects", "DeleteSubject"];
        async Task<Dictionary<string, (StatusCode, string)>> GlobexAnswers()
        {
            var answers = new Dictionary<string, (StatusCode, string)>();
            foreach (var (rpc, call) in EveryRpc(fleet.Client, globex, "isolated", "obama").Where(r => readOnly.Contains(r.Rpc)))
            {
                var e = await Refused(call);
                answers[rpc] = (e.StatusCode, e.Status.Detail);
            }
            return answers;
        }
        var before = await GlobexAnswers();
        var acme = fleet.AsKey("acme-admin");
        await fleet.Client.EnrollAsync(Enrollment("isolated", "obama", "obama.jpg"), acme);
        var after = await GlobexAnswers();
        Assert.All(readOnly, rpc => Assert.Equal(StatusCode.NotFound, after[rpc].Item1));
        Assert.Equal(before, after); // indistinguishable from a gallery that does not exist
        Assert.DoesNotContain("isolated", (await fleet.Client.ListGalleriesAsync(new ListGalleriesRequest(), globex)).Galleries.Select(g => g.Name));
        Assert.Contains("isolated", (await fleet.Client.ListGalleriesAsync(new ListGalleriesRequest(), acme)).Galleries.Select(g => g.Name));

        // globex enrolling under the same names makes its own gallery; acme's subject keeps exactly its one face.
        var acmeFaces = (await fleet.Client.GetSubjectAsync(new GetSubjectRequest { Gallery = "isolated", SubjectId = "obama" }, acme)).FaceIds.ToArray();
        var globexEnrolled = await fleet.Client.EnrollAsync(Enrollment("isolated", "obama", "obama.jpg"), globex);
        Assert.DoesNotContain(globexEnrolled.Faces[0].FaceId, acmeFaces); // face ids are per tenant
        Assert.Equal(1, (await fleet.Client.DeleteSubjectAsync(new DeleteSubjectRequest { Gallery = "isolated", SubjectId = "obama" }, globex)).DeletedFaces);
        Assert.Equal(acmeFaces, (await fleet.Client.GetSubjectAsync(new GetSubjectRequest { Gallery = "isolated", SubjectId = "obama" }, acme)).FaceIds);
        var identified = await fleet.Client.IdentifyAsync(new IdentifyRequest { Image = Photo("obama2.jpg"), Gallery = "isolated" }, acme);
        Assert.Equal("obama", identified.Faces[0].Candidates[0].SubjectId);
    }

    [Fact]
    public async Task A_valid_jwt_maps_to_its_tenant_and_role_and_a_bad_one_is_refused_with_the_reason()
    {
        await fleet.Client.EnrollAsync(Enrollment("jwt-gallery", "obama", "obama.jpg"), fleet.AsKey("acme-admin"));
        var reader = SecuredFleet.Bearer(SecuredFleet.Jwt("acme", "reader"));
        Assert.Contains("jwt-gallery", (await fleet.Client.ListGalleriesAsync(new ListGalleriesRequest(), reader)).Galleries.Select(g => g.Name));
        var denied = await Refused(async () => await fleet.Client.EnrollAsync(Enrollment("jwt-gallery", "x", "obama.jpg"), reader));
        Assert.Equal(StatusCode.PermissionDenied, denied.StatusCode);
        Assert.Contains("jwt:acme:svc-42", denied.Status.Detail);
        var globexAdmin = SecuredFleet.Bearer(SecuredFleet.Jwt("globex", "admin"));
        Assert.DoesNotContain("jwt-gallery", (await fleet.Client.ListGalleriesAsync(new ListGalleriesRequest(), globexAdmin)).Galleries.Select(g => g.Name));

        (string Token, string Reason)[] bad =
        [
            (SecuredFleet.Jwt("acme", "reader", expires: DateTime.UtcNow.AddMinutes(-5)), "expired"),
            (SecuredFleet.Jwt("acme", "reader", audience: "someone-else"), "audience"),
            (SecuredFleet.Jwt("acme", "reader", key: new byte[32]), "signature"),
            (SecuredFleet.Jwt(null, "reader"), "tenant"),
            (SecuredFleet.Jwt("acme", "owner"), "not admin or reader"),
            ("not.a.jwt", "malformed"),
        ];
        foreach (var (token, reason) in bad)
        {
            var e = await Refused(async () => await fleet.Client.ListGalleriesAsync(new ListGalleriesRequest(), SecuredFleet.Bearer(token)));
            Assert.Equal(StatusCode.Unauthenticated, e.StatusCode);
            Assert.Contains(reason, e.Status.Detail);
        }
    }

    [Fact]
    public async Task A_key_is_added_and_revoked_by_rewriting_the_keys_file_without_a_restart()
    {
        fleet.WriteKeys([("acme-admin", "acme", "admin", 0), ("acme-reader", "acme", "reader", 0), ("globex-admin", "globex", "admin", 0), ("acme-slow", "acme", "reader", 1),
                         ("rotated-in", "acme", "reader", 0)]);
        await Eventually(async () => (await fleet.Client.ListGalleriesAsync(new ListGalleriesRequest(), fleet.AsKey("rotated-in"))) is not null);
        fleet.WriteKeys([("acme-admin", "acme", "admin", 0), ("acme-reader", "acme", "reader", 0), ("globex-admin", "globex", "admin", 0), ("acme-slow", "acme", "reader", 1)]);
        await Eventually(async () =>
        {
            try
            {
                await fleet.Client.ListGalleriesAsync(new ListGalleriesRequest(), fleet.AsKey("rotated-in"));
                return false;
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.Unauthenticated)
            {
                return true;
            }
        });
        await fleet.Client.ListGalleriesAsync(new ListGalleriesRequest(), fleet.AsKey("acme-reader")); // the others still work
    }

    private static async Task Eventually(Func<Task<bool>> condition)
    {
        for (int i = 0; i < 100; i++)
        {
            try
            {
                if (await condition())
                    return;
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.Unauthenticated)
            {
            }
            await Task.Delay(100);
        }
        Assert.Fail("The keys file change was not taken within 10 s.");
    }

    [Fact]
    public async Task A_key_over_its_rate_gets_resource_exhausted_with_retry_information_and_other_keys_are_not_slowed()
    {
        var results = new List<StatusCode>();
        RpcException? limited = null;
        for (int i = 0; i < 6; i++)
        {
            try
            {
                await fleet.Client.ListGalleriesAsync(new ListGalleriesRequest(), fleet.AsKey("acme-slow")); // 1 request/s, bursts of 2
                results.Add(StatusCode.OK);
            }
            catch (RpcException e)
            {
                results.Add(e.StatusCode);
                limited ??= e;
            }
        }
        Assert.Equal(StatusCode.OK, results[0]);
        Assert.Contains(StatusCode.ResourceExhausted, results);
        Assert.InRange(results.Count(s => s == StatusCode.OK), 2, 3); // the burst, and at most one token refilled meanwhile
        Assert.Contains("acme-slow", limited!.Status.Detail);
        Assert.Contains("1 requests/s", limited.Status.Detail);
        var retryAfter = limited.Trailers.GetValue(Gateway.Security.GatewayGuard.RetryAfterTrailer);
        Assert.InRange(int.Parse(retryAfter!), 1, 1000);
        for (int i = 0; i < 10; i++)
            await fleet.Client.ListGalleriesAsync(new ListGalleriesRequest(), fleet.AsKey("acme-reader"));
    }

    [Fact]
    public async Task The_internal_services_refuse_a_direct_call_without_the_fleet_token_but_keep_health_open()
    {
        var matcher = new MatcherService.MatcherServiceClient(fleet.Matcher.Channel);
        var request = new ListTenantGalleriesRequest { Tenant = "acme" };
        var e = await Refused(async () => await matcher.ListTenantGalleriesAsync(request));
        Assert.Equal(StatusCode.Unauthenticated, e.StatusCode);
        Assert.Contains("fleet token", e.Status.Detail);
        var wrong = await Refused(async () => await matcher.ListTenantGalleriesAsync(request, new Metadata { { FleetToken.Header, "fleet-token-wrong-000000" } }));
        Assert.Equal(StatusCode.Unauthenticated, wrong.StatusCode);
        await matcher.ListTenantGalleriesAsync(request, new Metadata { { FleetToken.Header, SecuredFleet.FleetTokenValue } });
        var detector = new DetectorService.DetectorServiceClient(fleet.Detector.Channel);
        Assert.Equal(StatusCode.Unauthenticated, (await Refused(async () => await detector.DetectAsync(new DetectFacesRequest { Image = Photo("obama.jpg") }))).StatusCode);
        var embedder = new EmbedderService.EmbedderServiceClient(fleet.Embedder.Channel);
        Assert.Equal(StatusCode.Unauthenticated, (await Refused(async () => await embedder.GetModelAsync(new GetModelRequest()))).StatusCode);
        var health = new Grpc.Health.V1.Health.HealthClient(fleet.Matcher.Channel);
        Assert.Equal(Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.Serving, (await health.CheckAsync(new Grpc.Health.V1.HealthCheckRequest())).Status);
    }

    [Fact]
    public async Task The_selftest_passes_on_two_photos_of_one_person_and_fails_saying_why_otherwise()
    {
        var directory = TestPaths.NewTempDirectory();
        string key = Path.Combine(directory, "api-key"), wrong = Path.Combine(directory, "wrong-key");
        File.WriteAllText(key, fleet.Keys["acme-reader"] + "\n");
        File.WriteAllText(wrong, "fm_not-a-key");
        async Task<(int Code, string Output)> Run(string keyFile, string reference)
        {
            var output = new StringWriter();
            int code = await SelfTest.RunAsync(["--gateway", fleet.Gateway.GrpcAddress, "--api-key-file", keyFile,
                "--probe", TestPaths.Example("obama.jpg"), "--reference", TestPaths.Example(reference)], output);
            return (code, output.ToString());
        }
        var (code, text) = await Run(key, "obama2.jpg");
        Assert.True(code == 0, text);
        Assert.Matches(@"^selftest passed: Verify through http://127\.0\.0\.1:\d+: score 0\.\d{3}", text);
        (code, text) = await Run(key, "biden.jpg");
        Assert.Equal(1, code);
        Assert.Contains("the two photos were not matched", text);
        (code, text) = await Run(wrong, "obama2.jpg");
        Assert.Equal(1, code);
        Assert.Contains("answered Unauthenticated", text);
        var missing = new StringWriter();
        Assert.Equal(1, await SelfTest.RunAsync(["--gateway", fleet.Gateway.GrpcAddress, "--api-key-file", key, "--probe", "/nonexistent.jpg", "--reference", "/nonexistent.jpg"], missing));
        Assert.Contains("/nonexistent.jpg does not exist", missing.ToString());
    }

    [Fact]
    public async Task A_renewed_certificate_is_served_to_new_connections_without_a_restart_and_a_broken_one_is_ignored()
    {
        var first = TestCertificate.SelfSigned("facemesh-gateway-first.test", TimeSpan.FromDays(5));
        var renewed = TestCertificate.SelfSigned("facemesh-gateway-renewed.test", TimeSpan.FromDays(90));
        var (certFile, keyFile) = first.Write();
        int port = LoopbackService.FreePort(), http = LoopbackService.FreePort();
        await using var app = GatewayHost.Build([$"--Endpoints:GrpcPort={port}", $"--Endpoints:HttpPort={http}", "--Logging:LogLevel:Default=Warning",
            $"--Endpoints:TlsCertificateFile={certFile}", $"--Endpoints:TlsKeyFile={keyFile}", "--Endpoints:TlsReloadSeconds=1", $"--Fleet:Token={SecuredFleet.FleetTokenValue}",
            $"--Gateway:DetectorAddress={fleet.Detector.GrpcAddress}", $"--Gateway:EmbedderAddress={fleet.Embedder.GrpcAddress}",
            $"--Gateway:MatcherAddress={fleet.Matcher.GrpcAddress}", $"--Gateway:Auth:ApiKeysFile={fleet.KeysFile}"]);
        await app.StartAsync();
        try
        {
            // What a new connection is shown (each call on a fresh channel: a TLS handshake of its own).
            async Task<string> Presented()
            {
                string? seen = null;
                var handler = new SocketsHttpHandler();
                handler.SslOptions.RemoteCertificateValidationCallback = (_, presented, _, _) => { seen = presented?.GetCertHashString(); return true; };
                using var channel = Grpc.Net.Client.GrpcChannel.ForAddress($"https://127.0.0.1:{port}", new Grpc.Net.Client.GrpcChannelOptions { HttpHandler = handler });
                await new FaceMeshApi.FaceMeshApiClient(channel).ListGalleriesAsync(new ListGalleriesRequest(), fleet.AsKey("acme-reader"));
                return seen!;
            }
            async Task<string> Expiry()
            {
                using var plain = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{http}") };
                return PrometheusText.Sample(await plain.GetStringAsync("/metrics"), "facemesh_tls_certificate_expiry_timestamp_seconds").ToString("F0");
            }
            Assert.Equal(first.Certificate.GetCertHashString(), await Presented());
            Assert.Equal(first.Certificate.NotAfter.ToUniversalTime().Subtract(DateTime.UnixEpoch).TotalSeconds.ToString("F0"), await Expiry());

            // A half-written renewal (the certificate of one pair, the key of another) is refused; the old one stays.
            File.WriteAllText(certFile, renewed.CertificatePem);
            await Task.Delay(TimeSpan.FromSeconds(2.5));
            Assert.Equal(first.Certificate.GetCertHashString(), await Presented());

            // The complete renewal is picked up within the poll interval.
            File.WriteAllText(keyFile, renewed.KeyPem);
            var waited = System.Diagnostics.Stopwatch.StartNew();
            while (await Presented() != renewed.Certificate.GetCertHashString())
            {
                Assert.True(waited.Elapsed < TimeSpan.FromSeconds(10), "The renewed certificate was not served within 10 s.");
                await Task.Delay(200);
            }
            Assert.Equal(renewed.Certificate.NotAfter.ToUniversalTime().Subtract(DateTime.UnixEpoch).TotalSeconds.ToString("F0"), await Expiry());
        }
        finally
        {
            await app.StopAsync();
        }
    }

    [Fact]
    public async Task The_public_endpoint_speaks_tls_when_given_a_certificate_and_refuses_cleartext()
    {
        var tlsCertificate = TestCertificate.SelfSigned("facemesh-gateway.test", TimeSpan.FromHours(1));
        using var certificate = tlsCertificate.Certificate;
        var (certFile, keyFile) = tlsCertificate.Write();
        int port = LoopbackService.FreePort(), http = LoopbackService.FreePort();
        await using var app = GatewayHost.Build([$"--Endpoints:GrpcPort={port}", $"--Endpoints:HttpPort={http}", "--Logging:LogLevel:Default=Warning",
            $"--Endpoints:TlsCertificateFile={certFile}", $"--Endpoints:TlsKeyFile={keyFile}", $"--Fleet:Token={SecuredFleet.FleetTokenValue}",
            $"--Gateway:DetectorAddress={fleet.Detector.GrpcAddress}", $"--Gateway:EmbedderAddress={fleet.Embedder.GrpcAddress}",
            $"--Gateway:MatcherAddress={fleet.Matcher.GrpcAddress}", $"--Gateway:Auth:ApiKeysFile={fleet.KeysFile}"]);
        await app.StartAsync();
        try
        {
            // The client trusts exactly this certificate (as it would trust the cluster's CA).
            var handler = new SocketsHttpHandler();
            handler.SslOptions.RemoteCertificateValidationCallback = (_, presented, _, _) => presented?.GetCertHashString() == certificate.GetCertHashString();
            using var tls = Grpc.Net.Client.GrpcChannel.ForAddress($"https://127.0.0.1:{port}", new Grpc.Net.Client.GrpcChannelOptions { HttpHandler = handler });
            var galleries = await new FaceMeshApi.FaceMeshApiClient(tls).ListGalleriesAsync(new ListGalleriesRequest(), fleet.AsKey("acme-reader"));
            Assert.NotNull(galleries);
            using var cleartext = Grpc.Net.Client.GrpcChannel.ForAddress($"http://127.0.0.1:{port}");
            var e = await Refused(async () => await new FaceMeshApi.FaceMeshApiClient(cleartext).ListGalleriesAsync(new ListGalleriesRequest(), fleet.AsKey("acme-reader")));
            Assert.NotEqual(StatusCode.OK, e.StatusCode);

            // The JSON API follows: served over TLS on the same port, refused on the cleartext port, which keeps the
            // probes' and Prometheus' routes.
            using var https = new HttpClient(new SocketsHttpHandler { SslOptions = { RemoteCertificateValidationCallback = handler.SslOptions.RemoteCertificateValidationCallback } })
            { BaseAddress = new Uri($"https://127.0.0.1:{port}") };
            https.DefaultRequestHeaders.Add("x-api-key", fleet.Keys["acme-reader"]);
            var overTls = await https.GetAsync("/v1/galleries");
            Assert.Equal(System.Net.HttpStatusCode.OK, overTls.StatusCode);
            Assert.Contains("galleries", await overTls.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
            using var plain = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{http}") };
            plain.DefaultRequestHeaders.Add("x-api-key", fleet.Keys["acme-reader"]);
            var refused = await plain.GetAsync("/v1/galleries");
            Assert.Equal(System.Net.HttpStatusCode.Forbidden, refused.StatusCode);
            Assert.Contains($"https://<host>:{port}/v1/galleries", await refused.Content.ReadAsStringAsync());
            Assert.Equal("ok", await plain.GetStringAsync("/healthz"));
            Assert.Equal(System.Net.HttpStatusCode.OK, (await plain.GetAsync("/readyz")).StatusCode);
            Assert.Contains("# TYPE", await plain.GetStringAsync("/metrics"));
        }
        finally
        {
            await app.StopAsync();
        }
    }

    [Fact]
    public async Task Requests_beyond_the_limits_are_refused_with_the_field_the_value_and_the_limit()
    {
        var admin = fleet.AsKey("acme-admin");
        async Task<RpcException> Refusal(Func<Task> call) => await Refused(call);
        var longName = await Refusal(async () => await fleet.Client.EnrollAsync(Enrollment(new string('g', 129), "s", "obama.jpg"), admin));
        Assert.Equal((StatusCode.InvalidArgument, "gallery is 129 characters; at most 128 are allowed."), (longName.StatusCode, longName.Status.Detail));
        var control = await Refusal(async () => await fleet.Client.GetSubjectAsync(new GetSubjectRequest { Gallery = "staff", SubjectId = "a\u0000b" }, admin));
        Assert.Equal(StatusCode.InvalidArgument, control.StatusCode);
        Assert.Contains("subject_id contains a control or malformed character (U+0000) at position 1", control.Status.Detail);
        var topK = await Refusal(async () => await fleet.Client.IdentifyAsync(new IdentifyRequest { Gallery = "staff", TopK = 101, Image = Photo("obama.jpg") }, admin));
        Assert.Equal("top_k is 101; it must be between 1 and 100 (0 for 5).", topK.Status.Detail);
        var page = await Refusal(async () => await fleet.Client.ListSubjectsAsync(new ListSubjectsRequest { Gallery = "staff", PageSize = 5000 }, admin));
        Assert.Equal("page_size is 5000; it must be between 1 and 1000 (0 for the default).", page.Status.Detail);
        var photos = new EnrollRequest { Gallery = "staff", SubjectId = "many" };
        photos.Photos.Add(Enumerable.Range(0, 33).Select(_ => new EnrollPhoto { Image = Photo("obama_small.jpg") }));
        Assert.Equal("33 photos; an enrollment takes 1 to 32.", (await Refusal(async () => await fleet.Client.EnrollAsync(photos, admin))).Status.Detail);
        // A request above the Gateway's byte limit (32 MiB) is refused before it is read whole.
        var huge = new DetectRequest { Image = new Image { Content = ByteString.CopyFrom(new byte[33 * 1024 * 1024]) } };
        using var channel = Grpc.Net.Client.GrpcChannel.ForAddress(fleet.Gateway.GrpcAddress, new Grpc.Net.Client.GrpcChannelOptions { MaxSendMessageSize = null });
        var tooBig = await Refusal(async () => await new FaceMeshApi.FaceMeshApiClient(channel).DetectAsync(huge, admin));
        Assert.Equal(StatusCode.ResourceExhausted, tooBig.StatusCode);
        Assert.DoesNotContain((await fleet.Client.ListGalleriesAsync(new ListGalleriesRequest(), admin)).Galleries, g => g.Name.Length > 128); // nothing was made
    }

    [Fact]
    public async Task Every_call_leaves_one_audit_line_with_tenant_key_gallery_subject_and_result_and_no_biometric_data()
    {
        var admin = fleet.AsKey("acme-admin");
        var enrolled = await fleet.Client.EnrollAsync(Enrollment("audited", "audit-subject", "obama.jpg"), admin);
        var verified = await fleet.Client.VerifyAsync(new VerifyRequest { Probe = Photo("obama2.jpg"), ReferenceSubject = new EnrolledSubject { Gallery = "audited", SubjectId = "audit-subject" } }, admin);
        await fleet.Client.IdentifyAsync(new IdentifyRequest { Image = Photo("obama2.jpg"), Gallery = "audited" }, fleet.AsKey("acme-reader"));
        await Refused(async () => await fleet.Client.DeleteSubjectAsync(new DeleteSubjectRequest { Gallery = "audited", SubjectId = "audit-subject" }, fleet.AsKey("acme-reader")));
        await fleet.Client.DeleteSubjectAsync(new DeleteSubjectRequest { Gallery = "audited", SubjectId = "audit-subject" }, admin);

        string[] lines = [];
        for (int i = 0; i < 50 && lines.Length < 5; i++, await Task.Delay(100))
        {
            using var stream = new FileStream(fleet.AuditFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            lines = new StreamReader(stream).ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.Contains("\"audited\"")).ToArray();
        }
        var records = lines.Select(l => JsonDocument.Parse(l).RootElement).Select(r => (
            Rpc: r.GetProperty("rpc").GetString(), Tenant: r.GetProperty("tenant").GetString(), Key: r.GetProperty("keyId").GetString(),
            Subject: r.GetProperty("subject").GetString(), Status: r.GetProperty("status").GetString(), Outcome: r.GetProperty("outcome").GetString())).ToArray();
        Assert.Equal([("Enroll", "acme", "acme-admin", "audit-subject", "OK", "faces=1"),
                      ("Verify", "acme", "acme-admin", "audit-subject", "OK", verified.Match ? "match" : "no-match"),
                      ("Identify", "acme", "acme-reader", "", "OK", "faces=1 matched=1"),
                      ("DeleteSubject", "acme", "acme-reader", "audit-subject", "PermissionDenied", ""),
                      ("DeleteSubject", "acme", "acme-admin", "audit-subject", "OK", "deleted=1")], records);
        // No score, no embedding value, no face id, no photo bytes.
        var text = string.Join("\n", lines);
        Assert.DoesNotContain(verified.Score.ToString("R", System.Globalization.CultureInfo.InvariantCulture), text);
        Assert.DoesNotContain(enrolled.Faces[0].FaceId, text);
        Assert.DoesNotContain("score", text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("embedding", text, StringComparison.OrdinalIgnoreCase);
        Assert.All(lines, l => Assert.True(l.Length < 400, l));
    }
    /// <summary>A Gateway of the fleet's with its own settings (a limit other tests must not hit).</summary>
    private async Task<LoopbackService> OwnGateway(params string[] settings) =>
        await LoopbackService.Start(GatewayHost.Build, [$"--Fleet:Token={SecuredFleet.FleetTokenValue}",
            $"--Gateway:DetectorAddress={fleet.Detector.GrpcAddress}", $"--Gateway:EmbedderAddress={fleet.Embedder.GrpcAddress}",
            $"--Gateway:MatcherAddress={fleet.Matcher.GrpcAddress}", $"--Gateway:Auth:ApiKeysFile={fleet.KeysFile}", .. settings]);

    [Fact]
    public async Task Credentials_are_checked_before_a_large_body_is_read()
    {
        // Without credentials a 33 MiB photo (over the byte limit) and a 3 MB gallery name are refused for the credentials,
        // from the headers: the body is never parsed (had it been, the photo would be RESOURCE_EXHAUSTED for its size).
        using var channel = Grpc.Net.Client.GrpcChannel.ForAddress(fleet.Gateway.GrpcAddress, new Grpc.Net.Client.GrpcChannelOptions { MaxSendMessageSize = null });
        var client = new FaceMeshApi.FaceMeshApiClient(channel);
        var huge = new DetectRequest { Image = new Image { Content = ByteString.CopyFrom(new byte[33 * 1024 * 1024]) } };
        var photo = await Refused(async () => await client.DetectAsync(huge, deadline: DateTime.UtcNow.AddSeconds(30)));
        Assert.Equal(StatusCode.Unauthenticated, photo.StatusCode);
        Assert.Contains("carries no credentials", photo.Status.Detail);
        var name = await Refused(async () => await client.ListSubjectsAsync(new ListSubjectsRequest { Gallery = new string('g', 3_000_000) }, SecuredFleet.As("fm_wrong")));
        Assert.Equal(StatusCode.Unauthenticated, name.StatusCode);
        Assert.Contains("is not known", name.Status.Detail);

        // The JSON routes the same: 401 with the message, before the body.
        var json = await fleet.Gateway.Http.PostAsync("/v1/verify", new StringContent(new string('x', 2_000_000), System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, json.StatusCode);
        Assert.Contains("carries no credentials", await json.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_json_body_over_the_request_limit_is_refused_as_a_large_grpc_message_is()
    {
        await using var gateway = await OwnGateway("--Gateway:MaxRequestBytes=1048576");
        gateway.Http.DefaultRequestHeaders.Add("x-api-key", fleet.Keys["acme-reader"]);
        var photo = Convert.ToBase64String(new byte[1_200_000]);
        var response = await gateway.Http.PostAsync("/v1/detect", new StringContent("{\"image\":{\"content\":\"" + photo + "\"}}", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(System.Net.HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("takes at most 1048576 (Gateway:MaxRequestBytes)", await response.Content.ReadAsStringAsync());
        var small = await gateway.Http.PostAsync("/v1/detect", new StringContent("{\"image\":{\"content\":\"" + Convert.ToBase64String(File.ReadAllBytes(TestPaths.Example("obama_small.jpg"))) + "\"}}", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(System.Net.HttpStatusCode.OK, small.StatusCode);
    }

    [Fact]
    public async Task Unauthenticated_calls_are_rate_limited_per_peer_and_valid_callers_are_not()
    {
        // One token every 20 s after a burst of 3: the ten guesses take a few seconds however loaded the machine, so
        // exactly the last seven are refused.
        await using var gateway = await OwnGateway("--Gateway:Auth:UnauthenticatedPerSecond=0.05", "--Gateway:Auth:UnauthenticatedBurst=3");
        var client = new FaceMeshApi.FaceMeshApiClient(gateway.Channel);
        var outcomes = new List<RpcException>();
        for (int i = 0; i < 10; i++)
            outcomes.Add(await Refused(async () => await client.ListGalleriesAsync(new ListGalleriesRequest(), SecuredFleet.As($"fm_guess_{i}"))));
        Assert.Equal(StatusCode.Unauthenticated, outcomes[0].StatusCode);
        var limited = outcomes.Where(e => e.StatusCode == StatusCode.ResourceExhausted).ToArray();
        Assert.Equal(Enumerable.Repeat(StatusCode.Unauthenticated, 3).Concat(Enumerable.Repeat(StatusCode.ResourceExhausted, 7)),
                     outcomes.Select(e => e.StatusCode));
        Assert.Contains("Too many unauthenticated calls from 127.0.0.1 (0.05/s allowed, bursts of 3)", limited[0].Status.Detail);
        Assert.True(long.Parse(limited[0].Trailers.GetValue(FaceMesh.Gateway.Security.GatewayGuard.RetryAfterTrailer) ?? limited[0].Status.Detail.Split("retry after ")[1].Split(' ')[0]) > 0);
        // A caller with a valid key is not held up by the guesses from the same address.
        Assert.NotNull(await client.ListGalleriesAsync(new ListGalleriesRequest(), fleet.AsKey("acme-reader")));
    }

    [Fact]
    public async Task Names_with_line_breaks_or_megabytes_cannot_forge_or_flood_audit_lines()
    {
        var admin = fleet.AsKey("acme-admin");
        long before = new FileInfo(fleet.AuditFile).Length;
        var forged = "x\r\n{\"rpc\":\"Enroll\",\"tenant\":\"globex\"}";
        await Refused(async () => await fleet.Client.GetSubjectAsync(new GetSubjectRequest { Gallery = "audit-escape", SubjectId = forged }, admin));
        await Refused(async () => await fleet.Client.ListSubjectsAsync(new ListSubjectsRequest { Gallery = new string('m', 3_000_000) }, admin));
        string added = "";
        for (int i = 0; i < 50 && added.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length < 2; i++, await Task.Delay(100))
        {
            using var stream = new FileStream(fleet.AuditFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            stream.Seek(before, SeekOrigin.Begin);
            added = new StreamReader(stream).ReadToEnd();
        }
        var lines = added.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var escaped = lines.Single(l => l.Contains("audit-escape")); // one call, one line: the CR/LF did not start another
        Assert.Equal("x\\u000d\\u000a{\"rpc\":\"Enroll\",\"tenant\":\"globex\"}", JsonDocument.Parse(escaped).RootElement.GetProperty("subject").GetString());
        var flooded = lines.Single(l => l.Contains("mmmm"));
        Assert.True(flooded.Length < 600, $"an audit line of {flooded.Length} characters");
        Assert.Contains("(3000000 characters)", flooded);
        Assert.All(lines, l => Assert.Equal(JsonValueKind.Object, JsonDocument.Parse(l).RootElement.ValueKind));
    }
}
