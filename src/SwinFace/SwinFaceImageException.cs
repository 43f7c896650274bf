namespace SwinFace;

/// <summary>An image could not be read: the message says which image and why (unknown format, corrupt data, too large).</summary>
public sealed class SwinFaceImageException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="SwinFaceImageException"/> class.</summary>
    public SwinFaceImageException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="SwinFaceImageException"/> class with a message.</summary>
    /// <param name="message">Which image, and why it could not be read.</param>
    public SwinFaceImageException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="SwinFaceImageException"/> class with a message and a cause.</summary>
    /// <param name="message">Which image, and why it could not be read.</param>
    /// <param name="innerException">The decoder's error.</param>
    public SwinFaceImageException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
