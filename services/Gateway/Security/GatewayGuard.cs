using System.Diagnostics;
using System.Threading.RateLimiting;
using FaceMesh.Contracts.V1;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.Extensions.Options;

namespace FaceMesh.Gateway.Security;

/// <summary>
/// Every public call passes here before it reaches <see cref="FaceMeshGrpcService"/>: the caller is authenticated
/// (API key or JWT; <c>UNAUTHENTICATED</c> when missing or wrong), its role checked (<c>PERMISSION_DENIED</c>),
/// its rate limited per key (<c>RESOURCE_EXHAUSTED</c> with a <c>retry-after-ms</c> trailer), and one audit line
/// written when the call ends: RPC, tenant, key id, gallery, subject, result. The audit line carries no photo,
/// embedding or score.
/// </summary>
public sealed class GatewayGuard : Interceptor, IDisposable
{
    public const string ApiKeyHeader = "x-api-key";
    public const string RetryAfterTrailer = "retry-after-ms";
    private static readonly object CallerKey = new();

    private readonly AuthOptions _options;
    private readonly ApiKeyRing _keys;
    private readonly JwtValidator _jwt;
    private readonly AuditLog _audit;
    private readonly PartitionedRateLimiter<Caller> _limiter;

    public GatewayGuard(IOptions<AuthOptions> options, ApiKeyRing keys, JwtValidator jwt, AuditLog audit)
    {
        _options = options.Value;
        _keys = keys;
        _jwt = jwt;
        _audit = audit;
        _limiter = PartitionedRateLimiter.Create<Caller, string>(caller =>
        {
            var (rate, burst) = LimitOf(caller);
            if (rate <= 0 || caller.Scheme == "anonymous") // the local trial's one caller is not limited
                return RateLimitPartition.GetNoLimiter(caller.KeyId);
            // Whole tokens per period: ten refills a second from 10 requests/s up, one token per 1/rate seconds below.
            var (period, tokens) = rate >= 10 ? (TimeSpan.FromMilliseconds(100), (int)Math.Round(rate / 10)) : (TimeSpan.FromSeconds(1 / rate), 1);
            return RateLimitPartition.GetTokenBucketLimiter(caller.KeyId, _ => new TokenBucketRateLimiterOptions
            {
                TokenLimit = burst, TokensPerPeriod = tokens, ReplenishmentPeriod = period, QueueLimit = 0, AutoReplenishment = true,
            });
        });
    }

    /// <summary>A caller's own rate and burst, or the Gateway's.</summary>
    private (double Rate, int Burst) LimitOf(Caller caller) =>
        (caller.RequestsPerSecond > 0 ? caller.RequestsPerSecond : _options.RequestsPerSecond, caller.Burst > 0 ? caller.Burst : _options.Burst);

    /// <summary>The authenticated caller of this call (set by the guard before the service runs).</summary>
    public static Caller CallerOf(ServerCallContext context) =>
        context.UserState.TryGetValue(CallerKey, out var caller) ? (Caller)caller : throw new InvalidOperationException("The call did not pass the GatewayGuard.");

    /// <summary>
    /// The role each public RPC needs (admin may do everything a reader may); null for an RPC without a rule, which is
    /// refused: a new RPC is closed until someone decides who may call it.
    /// </summary>
    public static string? RoleFor(string method) => method switch
    {
        "/facemesh.v1.FaceMeshApi/Enroll" or "/facemesh.v1.FaceMeshApi/DeleteSubject" => Roles.Admin,
        // People: adding photos and every correction change the gallery (a named person is a subject).
        "/facemesh.v1.FaceMeshApi/AddPhotos" or "/facemesh.v1.FaceMeshApi/MergePeople" or "/facemesh.v1.FaceMeshApi/MoveFace" or
        "/facemesh.v1.FaceMeshApi/NotThisPerson" or "/facemesh.v1.FaceMeshApi/NamePerson" or "/facemesh.v1.FaceMeshApi/DeletePerson" or
        "/facemesh.v1.FaceMeshApi/RegroupPeople" => Roles.Admin,
        "/facemesh.v1.FaceMeshApi/ListPeople" or "/facemesh.v1.FaceMeshApi/GetPerson"
            or "/facemesh.v1.FaceMeshApi/GetPhotoPeople" => Roles.Reader,
        "/facemesh.v1.FaceMeshApi/Verify" or "/facemesh.v1.FaceMeshApi/Identify" or "/facemesh.v1.FaceMeshApi/Detect" or
        "/facemesh.v1.FaceMeshApi/GetSubject" or "/facemesh.v1.FaceMeshApi/ListSubjects" or "/facemesh.v1.FaceMeshApi/ListGalleries" => Roles.Reader,
        "/facemesh.v1.FaceMeshApi/GetInfo" => Roles.Reader,
        _ => null,
    };

    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context,
        UnaryServerMethod<TRequest, TResponse> continuation)
    {
        string rpc = context.Method[(context.Method.LastIndexOf('/') + 1)..];
        Caller? caller = null;
        try
        {
            caller = await Authenticate(context);
            string needed = RoleFor(context.Method)
                ?? throw new RpcException(new Status(StatusCode.PermissionDenied, $"{rpc} has no role rule in the Gateway, so nobody may call it yet."));
            if (needed == Roles.Admin && caller.Role != Roles.Admin)
                throw new RpcException(new Status(StatusCode.PermissionDenied,
                    $"{rpc} needs the admin role; key '{caller.KeyId}' has the role {caller.Role}. " +
                    "Use an admin key for enrollment, deletion and people changes."));
            using var lease = _limiter.AttemptAcquire(caller);
            if (!lease.IsAcquired)
            {
                var after = lease.TryGetMetadata(MetadataName.RetryAfter, out var retry) ? retry : TimeSpan.FromSeconds(1);
                var trailers = new Metadata { { RetryAfterTrailer, ((long)Math.Ceiling(after.TotalMilliseconds)).ToString(System.Globalization.CultureInfo.InvariantCulture) } };
                var (rate, burst) = LimitOf(caller);
                throw new RpcException(new Status(StatusCode.ResourceExhausted,
                    $"Key '{caller.KeyId}' is over its rate limit ({rate:0.#} requests/s, " +
                    $"bursts of {burst}); retry after {after.TotalMilliseconds:0} ms (trailer {RetryAfterTrailer})."), trailers);
            }
            context.UserState[CallerKey] = caller;
            var response = await continuation(request, context);
            Audit(rpc, caller, request, StatusCode.OK, response);
            return response;
        }
        catch (RpcException e)
        {
            Audit(rpc, caller, request, e.StatusCode, null);
            throw;
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            // The caller went away (or its deadline passed) mid-call, e.g. while the enrollment was being published.
            Audit(rpc, caller, request, StatusCode.Cancelled, null);
            throw;
        }
        catch (Exception)
        {
            Audit(rpc, caller, request, StatusCode.Internal, null);
            throw;
        }
    }

    private async Task<Caller> Authenticate(ServerCallContext context)
    {
        // PreAuthentication checked the headers before the body was read; it leaves the caller here.
        if (context.GetHttpContext().Items.TryGetValue(PreAuthentication.CallerItem, out var known) && known is Caller checkedCaller)
            return checkedCaller;
        var (caller, refusal) = await AuthenticateHeaders(context.RequestHeaders.GetValue(ApiKeyHeader), context.RequestHeaders.GetValue("authorization"));
        return caller ?? throw new RpcException(new Status(StatusCode.Unauthenticated, refusal!));
    }

    /// <summary>The caller the credentials name, or why there is none (the message a refused caller gets).</summary>
    public async Task<(Caller? Caller, string? Refusal)> AuthenticateHeaders(string? key, string? authorization)
    {
        if (!string.IsNullOrEmpty(key))
        {
            var entry = _keys.Find(key.Trim());
            return entry is null
                ? (null, Refusal("the API key in x-api-key is not known (mistyped, revoked or rotated away)"))
                : (new Caller(entry.Tenant, entry.Role, entry.Id, "api-key", entry.RequestsPerSecond, entry.Burst), null);
        }
        if (!string.IsNullOrEmpty(authorization))
        {
            if (!authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
                return (null, Refusal("the authorization header must be 'Bearer <JWT>'"));
            var (caller, refusal) = await _jwt.ValidateAsync(authorization["Bearer ".Length..].Trim());
            return caller is null ? (null, Refusal(refusal!)) : (caller, null);
        }
        if (_options.AllowAnonymous)
            return (new Caller(_options.AnonymousTenant, Roles.Admin, "anonymous", "anonymous"), null);
        return (null, Refusal("the call carries no credentials"));
    }

    private static string Refusal(string why) =>
        $"Not authenticated: {why}. Send an API key in the x-api-key header or a JWT as 'authorization: Bearer <token>'.";

    private void Audit(string rpc, Caller? caller, object request, StatusCode status, object? response)
    {
        var (gallery, subject) = request switch
        {
            EnrollRequest r => (r.Gallery, r.SubjectId),
            DeleteSubjectRequest r => (r.Gallery, r.SubjectId),
            GetSubjectRequest r => (r.Gallery, r.SubjectId),
            IdentifyRequest r => (r.Gallery, ""),
            ListSubjectsRequest r => (r.Gallery, ""),
            VerifyRequest { ReferenceCase: VerifyRequest.ReferenceOneofCase.ReferenceSubject } r => (r.ReferenceSubject.Gallery, r.ReferenceSubject.SubjectId),
            _ => ("", ""),
        };
        // The outcome, without biometric data: a decision or a count, never a score or an embedding.
        string outcome = response switch
        {
            VerifyResponse v => v.ProbeFace is null ? "no-face" : v.Match ? "match" : "no-match",
            IdentifyResponse i => $"faces={i.Faces.Count} matched={i.Faces.Count(f => f.Match)}",
            EnrollResponse e => $"faces={e.Faces.Count}",
            DeleteSubjectResponse d => $"deleted={d.DeletedFaces}",
            _ => "",
        };
        _audit.Write(new AuditRecord(DateTimeOffset.UtcNow, rpc, caller?.Tenant ?? "", caller?.KeyId ?? "", gallery, subject, status.ToString(), outcome,
            Activity.Current?.TraceId.ToString() ?? ""));
    }

    public void Dispose() => _limiter.Dispose();
}
