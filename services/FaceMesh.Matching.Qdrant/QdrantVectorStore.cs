using System.Security.Cryptography;
using System.Text;
using Grpc.Core;
using Qdrant.Client;
using Qdrant.Client.Grpc;
using static Qdrant.Client.Grpc.Conditions;

namespace FaceMesh.Matching.Qdrant;

/// <summary>
/// The <see cref="IVectorStore"/> on a Qdrant cluster. Each gallery (and the model it is bound to) is one
/// collection with cosine distance, HNSW and optional int8 scalar quantization; a point is a face with
/// payload tenant, gallery, subject_id, face_id, quality and enrolled_at (keyword indexes on tenant and
/// subject_id), and its id is derived from the face id, so a redelivered enrollment overwrites the same
/// point. A registry collection records each gallery's model, dimension and collection name; a tombstone collection
/// records when each deleted subject was deleted (payload deleted_at), so that a face enrolled before its subject's
/// deletion is not stored when its event comes later (several Matchers share one queue; events can overtake each other).
/// An upsert checks the tombstones before writing and again after (a deletion applied meanwhile by another Matcher
/// erases what it just wrote). Writes wait until Qdrant has applied them (searchable when they return).
/// </summary>
public sealed class QdrantVectorStore : IVectorStore, IDisposable
{
    private const string Tenant = "tenant", GalleryField = "gallery", Subject = "subject_id", FaceId = "face_id",
        Quality = "quality", EnrolledAt = "enrolled_at", Model = "model_id", Dimension = "dimension", Collection = "collection",
        DeletedAt = "deleted_at";
    private readonly QdrantClient _client;
    private readonly QdrantStoreOptions _options;
    private readonly string _registry, _tombstones;
    private readonly SemaphoreSlim _registryReady = new(1, 1);
    private bool _registryExists;

    public QdrantVectorStore(QdrantStoreOptions options)
    {
        if (!Uri.TryCreate(options.Url, UriKind.Absolute, out var url))
            throw new ArgumentException($"Matcher:Qdrant:Url is '{options.Url}'; set it to Qdrant's gRPC address, e.g. http://qdrant:6334.");
        _options = options;
        _client = new QdrantClient(url, string.IsNullOrEmpty(options.ApiKey) ? null : options.ApiKey);
        _registry = $"{options.CollectionPrefix}_galleries";
        _tombstones = $"{options.CollectionPrefix}_tombstones";
    }

    /// <summary>A stable UUID for any string id (name-based, from SHA-256), so re-sending an id hits the same point.</summary>
    public static Guid PointId(string id)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(id), hash);
        hash[6] = (byte)((hash[6] & 0x0F) | 0x50); // version 5-style: name-based
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80); // RFC 4122 variant
        return new Guid(hash[..16], bigEndian: true);
    }

    private static string Hex(string value) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(value)))[..16];

    private string CollectionName(GalleryKey gallery, string modelId) =>
        $"{_options.CollectionPrefix}_{Hex(gallery.Tenant + "\n" + gallery.Gallery)}_{Hex(modelId)[..8]}";

    private static Guid RegistryId(GalleryKey gallery) => PointId("gallery\n" + gallery.Tenant + "\n" + gallery.Gallery);

    private static Guid TombstoneId(GalleryKey gallery, string subjectId) => PointId("tombstone\n" + gallery.Tenant + "\n" + gallery.Gallery + "\n" + subjectId);

    private static long? At(Dictionary<string, long> deletedAt, string subjectId) => deletedAt.TryGetValue(subjectId, out long at) ? at : null;

    /// <summary>When each of these subjects was last deleted (subjects never deleted are absent).</summary>
    private async Task<Dictionary<string, long>> DeletedAtOf(GalleryKey gallery, IEnumerable<string> subjects, CancellationToken cancellation)
    {
        await EnsureRegistry(cancellation);
        var ids = subjects.Distinct().ToDictionary(s => TombstoneId(gallery, s).ToString(), s => s);
        var points = await Call(() => _client.RetrieveAsync(_tombstones, ids.Keys.Select(id => new PointId { Uuid = id }).ToArray(), true, false, cancellationToken: cancellation));
        return points.ToDictionary(p => ids[p.Id.Uuid], p => p.Payload[DeletedAt].IntegerValue);
    }

    private async Task EnsureRegistry(CancellationToken cancellation)
    {
        if (_registryExists)
            return;
        await _registryReady.WaitAsync(cancellation);
        try
        {
            foreach (var name in new[] { _registry, _tombstones })
                if (!await _client.CollectionExistsAsync(name, cancellation))
                {
                    await _client.CreateCollectionAsync(name, new VectorParams { Size = 1, Distance = Distance.Dot }, cancellationToken: cancellation);
                    await _client.CreatePayloadIndexAsync(name, Tenant, PayloadSchemaType.Keyword, cancellationToken: cancellation);
                }
            _registryExists = true;
        }
        finally
        {
            _registryReady.Release();
        }
    }

    private sealed record Binding(GalleryKey Key, string ModelId, int Dimension, string Collection);

    private async Task<Binding?> Find(GalleryKey gallery, CancellationToken cancellation)
    {
        await EnsureRegistry(cancellation);
        var points = await _client.RetrieveAsync(_registry, [new PointId { Uuid = RegistryId(gallery).ToString() }], true, false, cancellationToken: cancellation);
        return points.Count == 0 ? null : ToBinding(points[0].Payload);
    }

    private static Binding ToBinding(IDictionary<string, Value> p) => new(
        new GalleryKey(p[Tenant].StringValue, p[GalleryField].StringValue), p[Model].StringValue, (int)p[Dimension].IntegerValue, p[Collection].StringValue);

    private async Task<Binding> Get(GalleryKey gallery, CancellationToken cancellation) =>
        await Find(gallery, cancellation) ?? throw new GalleryNotFoundException(gallery);

    private async Task<Binding> Bind(GalleryKey gallery, string modelId, int dimension, CancellationToken cancellation)
    {
        var binding = await Find(gallery, cancellation);
        if (binding is not null)
            return binding;
        string name = CollectionName(gallery, modelId);
        if (!await _client.CollectionExistsAsync(name, cancellation))
        {
            await _client.CreateCollectionAsync(name,
                new VectorParams { Size = (ulong)dimension, Distance = Distance.Cosine },
                replicationFactor: _options.ReplicationFactor,
                hnswConfig: new HnswConfigDiff { M = _options.HnswM, EfConstruct = _options.HnswEfConstruct, PayloadM = _options.HnswM },
                quantizationConfig: _options.ScalarQuantization
                    ? new QuantizationConfig { Scalar = new ScalarQuantization { Type = QuantizationType.Int8 } }
                    : null,
                cancellationToken: cancellation);
            await _client.CreatePayloadIndexAsync(name, Tenant, PayloadSchemaType.Keyword, cancellationToken: cancellation);
            await _client.CreatePayloadIndexAsync(name, Subject, PayloadSchemaType.Keyword, cancellationToken: cancellation);
        }
        binding = new Binding(gallery, modelId, dimension, name);
        await _client.UpsertAsync(_registry,
        [
            new PointStruct
            {
                Id = RegistryId(gallery), Vectors = new[] { 1f },
                Payload =
                {
                    [Tenant] = gallery.Tenant, [GalleryField] = gallery.Gallery, [Model] = modelId,
                    [Dimension] = dimension, [Collection] = name,
                },
            },
        ], wait: true, cancellationToken: cancellation);
        return binding;
    }

    public async Task UpsertAsync(GalleryKey gallery, IReadOnlyList<EnrolledFace> faces, CancellationToken cancellation = default)
    {
        if (faces.Count == 0)
            return;
        faces = EnrolledFace.Stamped(faces);
        var binding = await Find(gallery, cancellation);
        string model = binding?.ModelId ?? faces[0].ModelId;
        int dimension = binding?.Dimension ?? faces[0].Embedding.Length;
        foreach (var face in faces)
            face.CheckFits(gallery, model, dimension);
        var deleted = await DeletedAtOf(gallery, faces.Select(f => f.SubjectId), cancellation);
        faces = faces.Where(f => !f.IsBuriedBy(At(deleted, f.SubjectId))).ToArray();
        if (faces.Count == 0)
            return; // every face's subject was deleted after it was enrolled
        binding ??= await Bind(gallery, model, dimension, cancellation);
        var points = faces.Select(face => new PointStruct
        {
            Id = PointId(face.FaceId),
            Vectors = face.Embedding,
            Payload =
            {
                [Tenant] = gallery.Tenant, [GalleryField] = gallery.Gallery, [Subject] = face.SubjectId, [FaceId] = face.FaceId,
                [Quality] = face.Quality, [EnrolledAt] = face.EnrolledAtMs,
            },
        }).ToArray();
        await Call(() => _client.UpsertAsync(binding.Collection, points, wait: true, cancellationToken: cancellation));
        // Another Matcher may have applied a deletion between the check and the write: its erase ran before these points
        // existed, so they are erased here.
        var after = await DeletedAtOf(gallery, faces.Select(f => f.SubjectId), cancellation);
        var buried = faces.Where(f => f.IsBuriedBy(At(after, f.SubjectId))).Select(f => PointId(f.FaceId)).ToArray();
        if (buried.Length > 0)
            await Call(() => _client.DeleteAsync(binding.Collection, buried, wait: true, cancellationToken: cancellation));
    }

    public async Task<int> DeleteSubjectAsync(GalleryKey gallery, string subjectId, long deletedAtMs = 0, CancellationToken cancellation = default)
    {
        if (deletedAtMs == 0)
            deletedAtMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var previous = await DeletedAtOf(gallery, [subjectId], cancellation);
        if (previous.TryGetValue(subjectId, out long at) && at >= deletedAtMs)
            return 0; // a redelivered (or older) deletion: already applied
        // The tombstone first: an upsert that starts after it sees it; one already writing erases its own points after.
        await Call(() => _client.UpsertAsync(_tombstones,
        [
            new PointStruct
            {
                Id = TombstoneId(gallery, subjectId), Vectors = new[] { 1f },
                Payload = { [Tenant] = gallery.Tenant, [GalleryField] = gallery.Gallery, [Subject] = subjectId, [DeletedAt] = deletedAtMs },
            },
        ], wait: true, cancellationToken: cancellation));
        var binding = await Find(gallery, cancellation);
        if (binding is null)
            return 0;
        var filter = SubjectFilter(gallery, subjectId) & Range(EnrolledAt, new global::Qdrant.Client.Grpc.Range { Lte = deletedAtMs });
        int count = (int)await Call(() => _client.CountAsync(binding.Collection, filter, exact: true, cancellationToken: cancellation));
        if (count > 0)
            await Call(() => _client.DeleteAsync(binding.Collection, filter, wait: true, cancellationToken: cancellation));
        return count;
    }

    private static Filter TenantFilter(GalleryKey gallery) => MatchKeyword(Tenant, gallery.Tenant);

    private static Filter SubjectFilter(GalleryKey gallery, string subjectId) => MatchKeyword(Tenant, gallery.Tenant) & MatchKeyword(Subject, subjectId);

    public async Task<IReadOnlyList<IReadOnlyList<SubjectMatch>>> SearchAsync(
        GalleryKey gallery, string modelId, IReadOnlyList<float[]> queries, int topK, CancellationToken cancellation = default)
    {
        var binding = await Get(gallery, cancellation);
        if (binding.ModelId != modelId)
            throw new ModelMismatchException(gallery, binding.ModelId, modelId);
        var results = new IReadOnlyList<SubjectMatch>[queries.Count];
        await Task.WhenAll(queries.Select(async (query, i) =>
        {
            if (query.Length != binding.Dimension)
                throw new ArgumentException($"The query has {query.Length} values; gallery '{gallery.Gallery}' holds {binding.Dimension}-d embeddings.");
            // One group per subject, holding its best face: the subject's score is its best face's.
            var groups = await Call(() => _client.QueryGroupsAsync(binding.Collection, Subject, query: query,
                filter: TenantFilter(gallery), searchParams: new SearchParams { HnswEf = _options.HnswEf },
                limit: (ulong)topK, groupSize: 1, payloadSelector: true, cancellationToken: cancellation));
            results[i] = groups.Select(g => new SubjectMatch(g.Id.StringValue, g.Hits[0].Payload[FaceId].StringValue, g.Hits[0].Score))
                .OrderByDescending(m => m.Score).ThenBy(m => m.SubjectId, StringComparer.Ordinal).ToArray();
        }));
        return results;
    }

    public async Task<IReadOnlyList<EnrolledFace>> GetSubjectAsync(GalleryKey gallery, string subjectId, CancellationToken cancellation = default)
    {
        var binding = await Get(gallery, cancellation);
        var faces = new List<EnrolledFace>();
        await foreach (var point in Scroll(binding, SubjectFilter(gallery, subjectId), withVectors: true, cancellation))
        {
            var p = point.Payload;
            faces.Add(new EnrolledFace(p[FaceId].StringValue, p[Subject].StringValue, Dense(point), binding.ModelId,
                (float)p[Quality].DoubleValue, p[EnrolledAt].IntegerValue));
        }
        return faces.OrderBy(f => f.FaceId, StringComparer.Ordinal).ToArray();
    }

#pragma warning disable CS0612, CS0618 // Vector.Data: the dense form every Qdrant 1.x server returns
    private static float[] Dense(RetrievedPoint point) => point.Vectors.Vector.Data.ToArray();
#pragma warning restore CS0612, CS0618

    public async Task<IReadOnlyCollection<string>> ContainsFacesAsync(GalleryKey gallery, IReadOnlyCollection<string> faceIds, CancellationToken cancellation = default)
    {
        var binding = await Find(gallery, cancellation);
        if (binding is null || faceIds.Count == 0)
            return [];
        var byPoint = faceIds.ToDictionary(id => PointId(id).ToString(), id => id);
        var points = await Call(() => _client.RetrieveAsync(binding.Collection,
            byPoint.Keys.Select(id => new PointId { Uuid = id }).ToArray(), false, false, cancellationToken: cancellation));
        return points.Select(p => byPoint[p.Id.Uuid]).ToArray();
    }

    public async Task<IReadOnlyList<SubjectFaceIds>> ListSubjectsAsync(GalleryKey gallery, string? after, int pageSize, CancellationToken cancellation = default)
    {
        var binding = await Get(gallery, cancellation);
        // Qdrant orders keywords by count, not by value: the subject ids are listed (a facet) and paged here.
        var subjects = (await Subjects(binding, gallery, cancellation))
            .Where(s => after is null || string.CompareOrdinal(s, after) > 0)
            .Order(StringComparer.Ordinal).Take(pageSize).ToArray();
        if (subjects.Length == 0)
            return [];
        var faces = subjects.ToDictionary(s => s, _ => new List<string>());
        await foreach (var point in Scroll(binding, TenantFilter(gallery) & Match(Subject, subjects), withVectors: false, cancellation))
            faces[point.Payload[Subject].StringValue].Add(point.Payload[FaceId].StringValue);
        return subjects.Select(s => new SubjectFaceIds(s, faces[s].Order(StringComparer.Ordinal).ToArray())).ToArray();
    }

    private async Task<IReadOnlyList<string>> Subjects(Binding binding, GalleryKey gallery, CancellationToken cancellation)
    {
        var hits = await Call(() => _client.FacetAsync(binding.Collection, Subject, TenantFilter(gallery), limit: int.MaxValue, exact: true, cancellationToken: cancellation));
        var subjects = new List<string>();
        foreach (var hit in hits.Hits)
            subjects.Add(hit.Value.StringValue);
        return subjects;
    }

    public async Task<long> CountFacesAsync(GalleryKey gallery, CancellationToken cancellation = default)
    {
        var binding = await Find(gallery, cancellation);
        return binding is null ? 0 : (long)await Call(() => _client.CountAsync(binding.Collection, TenantFilter(gallery), exact: true, cancellationToken: cancellation));
    }

    public async Task<GalleryInfo?> CountAsync(GalleryKey gallery, CancellationToken cancellation = default)
    {
        var binding = await Find(gallery, cancellation);
        return binding is null ? null : await Info(binding, cancellation);
    }

    private async Task<GalleryInfo> Info(Binding binding, CancellationToken cancellation)
    {
        var faces = await Call(() => _client.CountAsync(binding.Collection, TenantFilter(binding.Key), exact: true, cancellationToken: cancellation));
        var subjects = await Subjects(binding, binding.Key, cancellation);
        return new GalleryInfo(binding.Key, binding.ModelId, binding.Dimension, subjects.Count, (long)faces);
    }

    public async Task<IReadOnlyList<GalleryInfo>> ListGalleriesAsync(string tenant, CancellationToken cancellation = default)
    {
        await EnsureRegistry(cancellation);
        var galleries = new List<GalleryInfo>();
        PointId? offset = null;
        do
        {
            var page = await Call(() => _client.ScrollAsync(_registry, MatchKeyword(Tenant, tenant), 256, offset, payloadSelector: true, cancellationToken: cancellation));
            foreach (var point in page.Result)
                galleries.Add(await Info(ToBinding(point.Payload), cancellation));
            offset = page.NextPageOffset;
        } while (offset is not null);
        return galleries.OrderBy(g => g.Key.Gallery, StringComparer.Ordinal).ToArray();
    }

    private async IAsyncEnumerable<RetrievedPoint> Scroll(Binding binding, Filter filter, bool withVectors,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellation)
    {
        PointId? offset = null;
        do
        {
            var page = await Call(() => _client.ScrollAsync(binding.Collection, filter, 256, offset, payloadSelector: true,
                vectorsSelector: withVectors, cancellationToken: cancellation));
            foreach (var point in page.Result)
                yield return point;
            offset = page.NextPageOffset;
        } while (offset is not null);
    }

    /// <summary>A cluster that cannot be reached is a clear UNAVAILABLE, not a stack trace.</summary>
    private async Task<T> Call<T>(Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (RpcException e) when (e.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded)
        {
            throw new StoreUnavailableException($"Qdrant at {_options.Url} cannot be reached ({e.Status.Detail}). Check Matcher:Qdrant:Url and that the cluster is up; nothing was changed by this call.", e);
        }
    }

    /// <summary>Drops every collection of this store's prefix (its galleries and registry): for tests and decommissioning.</summary>
    public async Task DropCollectionsAsync(CancellationToken cancellation = default)
    {
        foreach (var name in await _client.ListCollectionsAsync(cancellation))
            if (name.StartsWith(_options.CollectionPrefix + "_", StringComparison.Ordinal))
                await _client.DeleteCollectionAsync(name, cancellationToken: cancellation);
        _registryExists = false;
    }

    public void Dispose() => _client.Dispose();
}
