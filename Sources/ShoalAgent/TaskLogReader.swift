import ShoalModel

/// A node's side of `docker service logs`: reads the logs of the selected tasks this node was assigned (those that
/// exited too, as long as their containers stay) through the engine's container log reader, the one `docker logs`
/// uses, and hands each line to a batcher with its context (service, node, task).
public struct TaskLogReader: Sendable {
    public let engine: any TaskEngine
    public let nodeID: String
    /// The tasks assigned to this node now.
    public let assigned: @Sendable () async -> [SwarmTask]
    /// How often a follower looks for selected tasks assigned since (SwarmKit's subscriptions follow new tasks
    /// too: a service scaled up, a task replaced after a failure).
    let newTaskPoll: Duration

    public init(engine: any TaskEngine, nodeID: String, newTaskPoll: Duration = .seconds(1),
                assigned: @escaping @Sendable () async -> [SwarmTask]) {
        self.engine = engine
        self.nodeID = nodeID
        self.newTaskPoll = newTaskPoll
        self.assigned = assigned
    }

    /// Reads into `batcher`. Without follow it returns once every selected task's log is read, task after task
    /// (so each task's lines stay together); with follow it reads every task at once and keeps reading, the tasks
    /// assigned later from their first line, until cancelled.
    public func read(_ selector: TaskLogSelector, options: LogOptions, into batcher: LogBatcher) async throws {
        guard options.follow else {
            for task in await selected(selector, excluding: []) {
                do {
                    try await read(task, options: options, into: batcher)
                } catch is CancellationError {
                    throw CancellationError()
                } catch {
                    // Its container went while being read (its task was trimmed from the history): the others'
                    // logs still go.
                    try Task.checkCancellation()
                }
            }
            return
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            var started: Set<String> = []
            // `--tail` is about the lines already written: a task assigned later is read from its first line.
            var taskOptions = options
            while !Task.isCancelled {
                for task in await selected(selector, excluding: started) {
                    started.insert(task.id)
                    // A task whose log cannot be read (its container went) does not end the others'.
                    group.addTask { [taskOptions] in try? await read(task, options: taskOptions, into: batcher) }
                }
                taskOptions.tail = nil
                try await Task.sleep(for: newTaskPoll)
            }
        }
    }

    /// The selected tasks not yet read, in slot order.
    func selected(_ selector: TaskLogSelector, excluding started: Set<String>) async -> [SwarmTask] {
        await assigned()
            .filter { selector.selects(taskID: $0.id, serviceID: $0.serviceID) && !started.contains($0.id) }
            .sorted { ($0.slot, $0.id) < ($1.slot, $1.id) }
    }

    /// One task's log; nothing when its container is gone (removed with its task's history).
    func read(_ task: SwarmTask, options: LogOptions, into batcher: LogBatcher) async throws {
        guard let container = await engine.container(ofTask: task.id) else { return }
        let context = TaskLogContext(serviceID: task.serviceID, nodeID: nodeID, taskID: task.id)
        for try await entry in try await engine.logs(container.id, options: options) {
            try await batcher.add(TaskLogMessage(context: context, entry: entry))
        }
    }
}
