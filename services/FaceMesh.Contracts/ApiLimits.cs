namespace FaceMesh.Contracts.V1;

/// <summary>The public API's size limit, named once: the Gateway, its internal calls, the client library and the tests read it here.</summary>
public static class ApiLimits
{
    /// <summary>
    /// The largest request the Gateway takes by default (<c>Gateway:MaxRequestBytes</c>): photos up to the image limit,
    /// base64-free on gRPC. The fleet's services pass messages up to this size on (a photo to the Detector, the crops of
    /// a crowd photo's faces to the Embedder: about 10 MB for 100 faces), above gRPC's default of 4 MB.
    /// </summary>
    public const int MaxRequestBytes = 32 * 1024 * 1024;
}
