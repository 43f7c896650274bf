namespace SwinFace;

/// <summary>
/// The analyzer's queue of faces is full (<see cref="FaceAnalyzerOptions.MaxQueuedFaces"/>): the call was refused
/// at once, without queueing, so that a flood of work cannot grow memory without bound. Try again after
/// <see cref="RetryAfter"/>.
/// </summary>
public sealed class SwinFaceBusyException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="SwinFaceBusyException"/> class.</summary>
    public SwinFaceBusyException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="SwinFaceBusyException"/> class with a message.</summary>
    /// <param name="message">How full the queue is.</param>
    public SwinFaceBusyException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="SwinFaceBusyException"/> class with a message and a cause.</summary>
    /// <param name="message">How full the queue is.</param>
    /// <param name="innerException">The cause.</param>
    public SwinFaceBusyException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="SwinFaceBusyException"/> class with a message and a suggested wait.</summary>
    /// <param name="message">How full the queue is.</param>
    /// <param name="retryAfter">How long the faces queued now should take, at the recent speed; at least one second.</param>
    public SwinFaceBusyException(string message, TimeSpan retryAfter)
        : base(message)
    {
        RetryAfter = retryAfter;
    }

    /// <summary>Gets how long the faces queued when the call was refused should take to analyse, at the recent speed; at least one second.</summary>
    public TimeSpan RetryAfter { get; } = TimeSpan.FromSeconds(1);
}
