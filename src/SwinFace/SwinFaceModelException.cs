namespace SwinFace;

/// <summary>The model file is not a usable SwinFace model: the message says what was expected and what was found.</summary>
public sealed class SwinFaceModelException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="SwinFaceModelException"/> class.</summary>
    public SwinFaceModelException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="SwinFaceModelException"/> class with a message.</summary>
    /// <param name="message">What was expected and what was found.</param>
    public SwinFaceModelException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="SwinFaceModelException"/> class with a message and a cause.</summary>
    /// <param name="message">What was expected and what was found.</param>
    /// <param name="innerException">The error that revealed the problem.</param>
    public SwinFaceModelException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
