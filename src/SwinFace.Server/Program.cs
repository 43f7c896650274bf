using SwinFace.Server;

// dotnet run --project src/SwinFace.Server -c Release -- --model MODEL --urls http://127.0.0.1:PORT
WebApplication app = ServerApp.Build(args);
app.Run();

/// <summary>The service's entry point; public for <c>WebApplicationFactory</c>.</summary>
public partial class Program;
