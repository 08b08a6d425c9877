namespace FaceMesh.Imaging;

/// <summary>
/// The bytes given are not an image FaceMesh can use. The message says what was wrong and what to
/// do; services map this exception to <c>INVALID_ARGUMENT</c>.
/// </summary>
public sealed class InvalidImageException(string message) : Exception(message);
