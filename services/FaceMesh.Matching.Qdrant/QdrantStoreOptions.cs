namespace FaceMesh.Matching.Qdrant;

/// <summary>Settings of the Qdrant store (configuration section <c>Matcher:Qdrant</c>).</summary>
public sealed class QdrantStoreOptions
{
    /// <summary>Qdrant's gRPC address, e.g. http://qdrant:6334.</summary>
    public string Url { get; set; } = "";

    /// <summary>API key, when the cluster requires one (from a secret, never from a committed file).</summary>
    public string ApiKey { get; set; } = "";

    /// <summary>Prefix of every collection FaceMesh makes (several fleets can share one cluster).</summary>
    public string CollectionPrefix { get; set; } = "facemesh";

    /// <summary>HNSW graph degree.</summary>
    public uint HnswM { get; set; } = 16;

    /// <summary>HNSW build-time beam width.</summary>
    public uint HnswEfConstruct { get; set; } = 128;

    /// <summary>HNSW search-time beam width (higher: better recall, slower).</summary>
    public ulong HnswEf { get; set; } = 128;

    /// <summary>Keep an int8 copy of the vectors in RAM and re-score with the originals.</summary>
    public bool ScalarQuantization { get; set; } = true;

    /// <summary>Replicas of each collection's shards.</summary>
    public uint ReplicationFactor { get; set; } = 1;
}
