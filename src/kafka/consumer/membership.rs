//! The consumer's side of a group (Kafka's `ConsumerCoordinator` for the classic protocol): find the
//! coordinator, join, sync, heartbeat, commit, and follow rebalances (eager: revoke everything first;
//! cooperative: revoke only what moves, then rejoin).

use super::Consumer;
use crate::kafka::config::consumer::short_assignor_name;
use crate::kafka::group::assignor::{self, AssignmentInput, AssignorName, MemberSubscription, RebalanceProtocol};
use crate::kafka::ids::{BrokerId, Node, PartitionIndex, TopicPartition};
use crate::kafka::protocol::{GroupRequest, GroupResponse, JoinResult, KafkaError, Message, Subscription};
use crate::kafka::runtime::{Outbox, Timer};
use crate::kafka::world::event::{EventKind, ResetCause};
use crate::sim::Tick;
use crate::sim::sorted::SortedMap;
use std::rc::Rc;

/// How long a JoinGroup may wait for its answer (Kafka's `joinGroupTimeoutMs`): the coordinator may
/// hold it for the whole rebalance timeout, so the request gets that plus 5 s for small delays, and
/// never less than `request.timeout.ms`.
pub fn join_group_timeout_ms(request_timeout_ms: u64, rebalance_timeout_ms: u64) -> u64 {
    const JOIN_GROUP_TIMEOUT_LAPSE_MS: u64 = 5_000;
    request_timeout_ms.max(rebalance_timeout_ms.saturating_add(JOIN_GROUP_TIMEOUT_LAPSE_MS))
}

/// Where a consumer is in its group's protocol.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum MemberState {
    #[default]
    Unjoined,
    FindingCoordinator,
    Joining,
    Syncing,
    Stable,
}

#[derive(Clone, Debug, Default)]
pub struct Membership {
    pub state: MemberState,
    pub coordinator: Option<BrokerId>,
    pub member_id: Option<Rc<str>>,
    pub generation: i32,
    pub protocol: Option<Rc<str>>,
    pub is_leader: bool,
    /// The partitions this member owns (its assignment), in the group's naming.
    pub owned: Vec<TopicPartition>,
    /// A rejoin is needed (a rebalance started, or cooperative revocation happened).
    pub rejoin_needed: bool,
    pub(super) request: Option<u64>,
    pub(super) heartbeat_in_flight: Option<u64>,
    /// A coordinator lookup waits for this moment: every broker was blacked out (one timer per wait).
    pub(super) lookup_waits_until: Option<Tick>,
    pub last_poll: Tick,
    pub next_auto_commit: Tick,
    /// A commit the poll loop waits for (commitSync), if any.
    pub commit_in_flight: Option<u64>,
    /// The commitSync the application is blocked in, if any: its offsets, and when it gives up
    /// (default.api.timeout.ms). It outlives a request lost with its connection: Kafka's
    /// commitSync looks the coordinator up again and resends until then.
    pub(super) commit_sync: Option<(Vec<(PartitionIndex, u64)>, Tick)>,
    pub(super) offset_fetch_in_flight: Option<(u64, Vec<PartitionIndex>)>,
    /// Assigned partitions whose committed offsets are still wanted after an OffsetFetch failed:
    /// held, asked again once the coordinator is found.
    pub(super) offsets_to_refetch: Vec<PartitionIndex>,
    /// The member left because it did not poll in time; it rejoins at its next poll.
    pub left_for_poll_timeout: bool,
    /// With `delete_committed`: commits in flight and their offsets (deleted once committed).
    pub(super) commits_to_delete: SortedMap<u64, Vec<(PartitionIndex, u64)>>,
}

impl Consumer {
    fn group_request(&mut self, to: BrokerId, request: GroupRequest, out: &mut Outbox) -> u64 {
        let request_id = self.request_id();
        let group = self.group.clone().expect("only consumers in a group send group requests");
        out.send(self.node(), Node::Broker(to), Message::Group { request_id, group, request: Box::new(request) });
        request_id
    }

    /// The rebalance protocol this consumer's assignors share (EAGER unless all are cooperative).
    fn rebalance_protocol(&self) -> RebalanceProtocol {
        let names: Vec<AssignorName> = self.config.assignors().into_iter().filter_map(AssignorName::from_kafka_name).collect();
        assignor::rebalance_protocol(&names).unwrap_or(RebalanceProtocol::Eager)
    }

    /// The coordinator, if it is known and the member may connect to it. A coordinator whose
    /// connection failed lately is marked unknown, to be looked up again (Kafka's
    /// `checkAndGetCoordinator`): a request sent to it would only be refused.
    fn reachable_coordinator(&mut self, now: Tick) -> Option<BrokerId> {
        let coordinator = self.membership.coordinator?;
        if self.reconnect.blocked_until(coordinator, now).is_some() {
            self.membership.coordinator = None;
            return None;
        }
        Some(coordinator)
    }

    /// Starts (or restarts) group membership: find the coordinator, then join.
    pub(super) fn join_group(&mut self, now: Tick, out: &mut Outbox) {
        if self.group.is_none() || matches!(self.membership.state, MemberState::FindingCoordinator | MemberState::Joining | MemberState::Syncing) {
            return;
        }
        let Some(coordinator) = self.reachable_coordinator(now) else {
            self.find_coordinator(now, out);
            return;
        };
        // A member whose generation was reset (an error answer, or it left) is no longer in the
        // group: whatever it holds is lost, whatever the protocol (Kafka's onJoinPrepare). Otherwise
        // eager rebalancing gives up every partition before joining (onPartitionsRevoked).
        if self.generation_reset() {
            self.lose(out);
        } else if self.rebalance_protocol() == RebalanceProtocol::Eager && !self.assignment.is_empty() {
            self.revoke(now, self.assignment.clone(), out);
        }
        let subscription = Subscription {
            topics: self.topics.clone(),
            owned: self.membership.owned.clone(),
            generation: (self.membership.generation > 0).then_some(self.membership.generation),
        };
        let protocols = self.config.assignors().into_iter().map(|name| (Rc::from(name), subscription.clone())).collect();
        let request = GroupRequest::JoinGroup {
            member_id: self.membership.member_id.clone(),
            instance_id: self.config.group_instance_id.as_deref().map(Rc::from),
            session_timeout_ms: self.config.session_timeout_ms,
            rebalance_timeout_ms: self.config.max_poll_interval_ms,
            protocols,
        };
        self.membership.state = MemberState::Joining;
        self.membership.rejoin_needed = false;
        let request_id = self.group_request(coordinator, request, out);
        self.membership.request = Some(request_id);
        out.timer(now.plus_ms(join_group_timeout_ms(self.config.request_timeout_ms, self.config.max_poll_interval_ms)), self.node(), Timer::GroupRequestTimeout { request_id });
    }

    fn find_coordinator(&mut self, now: Tick, out: &mut Outbox) {
        // Any broker can name the coordinator: Kafka asks its least loaded node, never one it may not
        // connect to yet. If every broker refused it lately, it asks once the first blackout ends
        // (the retry finds the member unjoined; a stable member's next heartbeat tick asks anyway).
        let Some(pick) = self.meta.least_loaded(&self.reconnect, now) else { return };
        let broker = match pick {
            Ok(broker) => broker,
            Err(at) => {
                if self.membership.lookup_waits_until != Some(at) {
                    self.membership.lookup_waits_until = Some(at);
                    out.timer(at, self.node(), Timer::GroupRetry);
                }
                return;
            }
        };
        // A stable member looking its coordinator up again stays stable (and keeps its partitions).
        if self.membership.state != MemberState::Stable {
            self.membership.state = MemberState::FindingCoordinator;
        }
        let request_id = self.group_request(broker, GroupRequest::FindCoordinator, out);
        self.membership.request = Some(request_id);
        out.timer(now.plus_ms(self.config.request_timeout_ms), self.node(), Timer::GroupRequestTimeout { request_id });
    }

    /// Gives partitions up: commits their positions first when auto-commit is on (Kafka's
    /// onJoinPrepare / onPartitionsRevoked), then stops fetching them.
    fn revoke(&mut self, now: Tick, partitions: Vec<PartitionIndex>, out: &mut Outbox) {
        if partitions.is_empty() {
            return;
        }
        if self.auto_commit_enabled() {
            let offsets: Vec<(PartitionIndex, u64)> = partitions.iter().filter_map(|p| self.position(*p).map(|o| (*p, o))).collect();
            self.send_commit(now, offsets, false, out);
        }
        let group = self.group.clone().unwrap_or_else(|| Rc::from(""));
        out.event(EventKind::PartitionsRevoked { consumer: self.index, group, partitions: partitions.as_slice().into() });
        let keep: Vec<PartitionIndex> = self.assignment.iter().copied().filter(|p| !partitions.contains(p)).collect();
        self.assign(keep);
        // A revoked partition's records in the current poll are still processed; only new ones stop.
    }

    /// The member has no generation to act in: never joined, or reset by an error answer or a leave
    /// (Kafka's `generation == NO_GENERATION || memberId == NO_GENERATION.memberId`).
    fn generation_reset(&self) -> bool {
        self.membership.generation == 0 || self.membership.member_id.is_none()
    }

    /// Drops every partition without committing (Kafka's onPartitionsLost): a member outside the
    /// group has no generation to commit under, so Kafka's client does not even send the commit.
    /// A cooperative member's next JoinGroup claims none of them; an eager sticky member still
    /// names its last assignment (the assignor's own user data), as before.
    fn lose(&mut self, out: &mut Outbox) {
        if self.assignment.is_empty() {
            return;
        }
        let group = self.group.clone().unwrap_or_else(|| Rc::from(""));
        out.event(EventKind::PartitionsLost { consumer: self.index, group, partitions: self.assignment.as_slice().into() });
        if self.rebalance_protocol() == RebalanceProtocol::Cooperative {
            self.membership.owned.clear();
        }
        self.assign(Vec::new());
    }

    pub(super) fn auto_commit_enabled(&self) -> bool {
        self.config.enable_auto_commit && self.commit_mode == crate::kafka::world::spec::CommitMode::Auto
    }

    /// Sends an OffsetCommit for `offsets`; with `sync` the poll loop waits for the answer.
    pub(super) fn send_commit(&mut self, now: Tick, offsets: Vec<(PartitionIndex, u64)>, sync: bool, out: &mut Outbox) {
        if offsets.is_empty() {
            return;
        }
        if sync && self.membership.commit_sync.is_none() {
            self.membership.commit_sync = Some((offsets.clone(), now.plus_ms(self.config.default_api_timeout_ms)));
        }
        let Some(coordinator) = self.reachable_coordinator(now) else {
            // No coordinator to send it to. An async commit fails at once (COORDINATOR_NOT_AVAILABLE;
            // the next one will carry the same positions). commitSync blocks while it looks the
            // coordinator up (Kafka's ensureCoordinatorReady).
            if sync {
                self.await_coordinator_for_commit(now, out);
            }
            return;
        };
        let offsets_copy = if self.delete_committed { offsets.clone() } else { Vec::new() };
        let request = GroupRequest::OffsetCommit { generation: self.membership.generation, member_id: self.membership.member_id.clone(), offsets };
        let request_id = self.group_request(coordinator, request, out);
        if self.delete_committed {
            self.membership.commits_to_delete.insert(request_id, offsets_copy);
        }
        if sync {
            self.membership.commit_in_flight = Some(request_id);
            out.timer(now.plus_ms(self.config.request_timeout_ms), self.node(), Timer::GroupRequestTimeout { request_id });
        }
    }

    /// commitSync has no coordinator to send to: it looks one up (unless a lookup is under way), and
    /// the poll loop checks its deadline.
    fn await_coordinator_for_commit(&mut self, now: Tick, out: &mut Outbox) {
        if let Some((_, deadline)) = self.membership.commit_sync {
            self.schedule_poll(deadline, out);
        }
        if self.membership.request.is_none() {
            self.find_coordinator(now, out);
        }
    }

    /// The GroupRetry timer: what waits for the coordinator (a commitSync, committed offsets) goes
    /// to it, or a stable member looks it up again.
    pub(super) fn retry_coordinator_work(&mut self, now: Tick, out: &mut Outbox) {
        let commit_waits = self.membership.commit_sync.is_some() && self.membership.commit_in_flight.is_none();
        if !commit_waits && self.membership.offsets_to_refetch.is_empty() {
            return;
        }
        if self.reachable_coordinator(now).is_some() {
            self.send_what_awaits_the_coordinator(now, out);
        } else if self.membership.state == MemberState::Stable && self.membership.request.is_none() {
            self.find_coordinator(now, out);
        }
    }

    /// The coordinator is known and reachable: a commitSync that waited for it, and the committed
    /// offsets still wanted, are sent to it now.
    fn send_what_awaits_the_coordinator(&mut self, now: Tick, out: &mut Outbox) {
        if self.membership.commit_in_flight.is_none()
            && let Some((offsets, _)) = self.membership.commit_sync.clone()
        {
            self.send_commit(now, offsets, true, out);
        }
        self.refetch_committed(now, out);
    }

    /// Whether the application's poll loop is blocked in commitSync: awaiting the answer, or a
    /// coordinator to send it to. Past default.api.timeout.ms without one, it gives up (Kafka
    /// throws a TimeoutException) and carries on.
    pub(super) fn blocked_in_commit_sync(&mut self, now: Tick, out: &mut Outbox) -> bool {
        if self.membership.commit_in_flight.is_some() {
            return true;
        }
        let Some((_, deadline)) = self.membership.commit_sync else { return false };
        if now < deadline {
            self.schedule_poll(deadline, out);
            return true;
        }
        self.membership.commit_sync = None;
        self.commit_failed(KafkaError::CoordinatorNotAvailable, out);
        self.resume_after_commit(now, out);
        true
    }

    fn commit_failed(&self, error: KafkaError, out: &mut Outbox) {
        let group = self.group.clone().unwrap_or_else(|| Rc::from(""));
        out.event(EventKind::OffsetCommitFailed { group, consumer: self.index, error });
    }

    /// The positions of every assigned partition, for a commit.
    pub(super) fn current_positions(&self) -> Vec<(PartitionIndex, u64)> {
        self.assignment.iter().filter_map(|p| self.position(*p).map(|o| (*p, o))).collect()
    }

    pub(super) fn on_group_response(&mut self, now: Tick, request_id: u64, response: GroupResponse, out: &mut Outbox) {
        if let Some(offsets) = self.membership.commits_to_delete.remove(&request_id)
            && response == GroupResponse::OffsetCommit(Ok(()))
        {
            self.delete_records(offsets, out);
        }
        if self.membership.commit_in_flight == Some(request_id) {
            self.membership.commit_in_flight = None;
            if let GroupResponse::OffsetCommit(Err(error)) = response {
                // commitSync sends it again, once retry.backoff.ms has passed and the coordinator is
                // known, while its deadline allows (Kafka's commitOffsetsSync loop).
                if self.on_commit_error(now, error, out)
                    && let Some(deadline) = self.membership.commit_sync.as_ref().map(|(_, deadline)| *deadline).filter(|deadline| now < *deadline)
                {
                    out.timer(now.plus_ms(self.config.retry_backoff_ms), self.node(), Timer::GroupRetry);
                    // The application stays blocked until then at most (default.api.timeout.ms).
                    self.schedule_poll(deadline, out);
                    return;
                }
                self.commit_failed(error, out);
            }
            self.membership.commit_sync = None;
            self.resume_after_commit(now, out);
            return;
        }
        if self.membership.heartbeat_in_flight == Some(request_id) {
            self.membership.heartbeat_in_flight = None;
            if let GroupResponse::Heartbeat(Err(error)) = response {
                self.on_heartbeat_error(now, error, out);
            }
            return;
        }
        // An async commit (commitAsync, auto-commit): nothing waits for it, but its error still
        // tells the member where it stands.
        if let GroupResponse::OffsetCommit(Err(error)) = response {
            self.on_commit_error(now, error, out);
            self.commit_failed(error, out);
            return;
        }
        if let Some((id, partitions)) = self.membership.offset_fetch_in_flight.clone()
            && id == request_id
        {
            self.membership.offset_fetch_in_flight = None;
            match response {
                GroupResponse::OffsetFetch(Ok(committed)) => self.apply_committed(now, &partitions, &committed, out),
                _ => self.refetch_committed_later(now, partitions, out),
            }
            return;
        }
        if self.membership.request != Some(request_id) {
            return;
        }
        self.membership.request = None;
        match response {
            GroupResponse::FindCoordinator(Ok(broker)) => {
                self.membership.coordinator = Some(broker);
                let stable = self.membership.state == MemberState::Stable;
                if !stable {
                    self.membership.state = MemberState::Unjoined;
                }
                if self.reachable_coordinator(now).is_none() {
                    // The broker named refused the member lately (a dead coordinator that brokers
                    // still name until it is fenced): unknown again, and looked up once
                    // retry.backoff.ms has passed, as Kafka's ensureCoordinatorReady does, not at
                    // once and over and over.
                    out.timer(now.plus_ms(self.config.retry_backoff_ms), self.node(), Timer::GroupRetry);
                    return;
                }
                // Found again while stable: heartbeats go there from the next one on.
                self.send_what_awaits_the_coordinator(now, out);
                if !stable {
                    self.join_group(now, out);
                }
            }
            GroupResponse::FindCoordinator(Err(_)) if self.membership.state == MemberState::Stable => {
                // The next heartbeat tick asks another broker.
                self.meta.cursor += 1;
            }
            GroupResponse::FindCoordinator(Err(_)) => {
                self.membership.state = MemberState::Unjoined;
                self.meta.cursor += 1;
                // Kafka's ensureCoordinatorReady backs off exponentially only within one poll() call,
                // and a consumer polls again soon: each lookup here waits its first step,
                // retry.backoff.ms (without the jitter).
                out.timer(now.plus_ms(self.config.retry_backoff_ms), self.node(), Timer::GroupRetry);
            }
            GroupResponse::JoinGroup(Ok(result)) => self.on_joined(now, result, out),
            GroupResponse::JoinGroup(Err((KafkaError::MemberIdRequired, Some(member_id)))) => {
                // KIP-394: rejoin with the id the coordinator handed out.
                self.membership.member_id = Some(member_id);
                self.membership.state = MemberState::Unjoined;
                self.join_group(now, out);
            }
            // Not retriable: Kafka's joinGroupIfNeeded throws it out of poll() (an
            // InvalidSessionTimeoutException), so joining again would only be refused again.
            GroupResponse::JoinGroup(Err((KafkaError::InvalidSessionTimeout, _))) => self.fail(KafkaError::InvalidSessionTimeout, out),
            GroupResponse::JoinGroup(Err((error, _))) | GroupResponse::SyncGroup(Err(error)) => {
                self.membership.state = MemberState::Unjoined;
                self.on_group_error(now, error, out);
                // Kafka's joinGroupIfNeeded joins again at once after these (the member only learnt
                // where the group stands); other errors wait retry.backoff.ms. Inside poll() only:
                // an application busy with its records rejoins when it polls next.
                let immediate = matches!(error, KafkaError::UnknownMemberId | KafkaError::IllegalGeneration | KafkaError::RebalanceInProgress);
                if immediate && self.processing.is_none() && !self.closing {
                    self.join_group(now, out);
                }
            }
            GroupResponse::SyncGroup(Ok(assignment)) => self.on_synced(now, assignment, out),
            _ => {}
        }
    }

    /// A heartbeat's error answer, as Kafka's HeartbeatResponseHandler takes it. A rebalance under
    /// way leaves a stable member stable: it keeps heartbeating (the coordinator keeps it for the
    /// whole rebalance timeout, however long its processing takes), may still commit what it
    /// processed, and rejoins at its next poll. Only a stable member heeds it. A coordinator that
    /// moved or went away is looked up again without a rejoin: the new one loads the group as it was.
    fn on_heartbeat_error(&mut self, now: Tick, error: KafkaError, out: &mut Outbox) {
        match error {
            KafkaError::RebalanceInProgress => {
                if self.membership.state == MemberState::Stable {
                    self.membership.rejoin_needed = true;
                }
            }
            KafkaError::NotCoordinator | KafkaError::CoordinatorNotAvailable | KafkaError::NetworkException | KafkaError::RequestTimedOut => {
                self.membership.coordinator = None;
                if self.membership.state == MemberState::Stable && self.membership.request.is_none() {
                    self.find_coordinator(now, out);
                }
            }
            _ => self.on_group_error(now, error, out),
        }
    }

    /// An OffsetCommit's error answer, sync or async, as Kafka's OffsetCommitResponseHandler takes
    /// it; returns whether Kafka counts it retriable (commitSync then sends the commit again). A
    /// member that is no longer in the group, or no longer in this generation, resets it and
    /// rejoins (its partitions are lost); a rebalance under way only asks for a rejoin.
    fn on_commit_error(&mut self, now: Tick, error: KafkaError, out: &mut Outbox) -> bool {
        match error {
            KafkaError::NotCoordinator | KafkaError::CoordinatorNotAvailable | KafkaError::RequestTimedOut => {
                self.membership.coordinator = None;
                true
            }
            KafkaError::UnknownTopicOrPartition => true,
            KafkaError::RebalanceInProgress => {
                self.membership.rejoin_needed = true;
                false
            }
            KafkaError::UnknownMemberId | KafkaError::IllegalGeneration if self.membership.generation != 0 => {
                self.on_group_error(now, error, out);
                false
            }
            _ => false,
        }
    }

    /// Errors the classic protocol answers with, and what Kafka's client does about them.
    fn on_group_error(&mut self, now: Tick, error: KafkaError, out: &mut Outbox) {
        match error {
            KafkaError::RebalanceInProgress => self.membership.rejoin_needed = true,
            KafkaError::UnknownMemberId | KafkaError::FencedInstanceId => {
                self.membership.member_id = None;
                self.membership.generation = 0;
                self.membership.rejoin_needed = true;
            }
            // The member id is still valid (Kafka keeps it on ILLEGAL_GENERATION): rejoining under it
            // lets the coordinator count the member as back, instead of waiting for a stranger's
            // session to expire while a new id joins.
            KafkaError::IllegalGeneration => {
                self.membership.generation = 0;
                self.membership.rejoin_needed = true;
            }
            KafkaError::NotCoordinator | KafkaError::CoordinatorNotAvailable | KafkaError::NetworkException | KafkaError::RequestTimedOut => {
                self.membership.coordinator = None;
                self.membership.rejoin_needed = true;
            }
            _ => self.membership.rejoin_needed = true,
        }
        if self.membership.state == MemberState::Stable {
            self.membership.state = MemberState::Unjoined;
        }
        // What comes next waits retry.backoff.ms, without growth (Kafka's joinGroupIfNeeded), unless
        // a failed join or sync rejoins at once.
        out.timer(now.plus_ms(self.config.retry_backoff_ms), self.node(), Timer::GroupRetry);
    }

    /// JoinGroup answered: the leader computes the assignment; everyone sends SyncGroup.
    fn on_joined(&mut self, now: Tick, result: JoinResult, out: &mut Outbox) {
        self.membership.member_id = Some(result.member_id.clone());
        self.membership.generation = result.generation;
        self.membership.protocol = Some(result.protocol.clone());
        self.membership.is_leader = result.leader == result.member_id;
        let assignments = if self.membership.is_leader && !result.members.is_empty() { self.compute_assignment(&result) } else { Vec::new() };
        let Some(coordinator) = self.membership.coordinator else { return };
        self.membership.state = MemberState::Syncing;
        let request = GroupRequest::SyncGroup { generation: result.generation, member_id: result.member_id, assignments };
        let request_id = self.group_request(coordinator, request, out);
        self.membership.request = Some(request_id);
        out.timer(now.plus_ms(self.config.request_timeout_ms), self.node(), Timer::GroupRequestTimeout { request_id });
    }

    /// The leader runs the chosen assignor over every member's subscription.
    fn compute_assignment(&self, result: &JoinResult) -> Vec<(Rc<str>, Vec<TopicPartition>)> {
        let Some(image) = &self.meta.image else { return Vec::new() };
        let Some(name) = short_assignor_name(&result.protocol).and_then(AssignorName::from_kafka_name) else { return Vec::new() };
        let mut topics = SortedMap::new();
        for (_, _, subscription) in &result.members {
            for topic in &subscription.topics {
                if let Some(t) = image.topic_index(topic) {
                    topics.insert(topic.to_string(), image.topics[t.get()].partitions.len() as u32);
                }
            }
        }
        let members = result
            .members
            .iter()
            .map(|(id, instance, subscription)| MemberSubscription {
                member_id: id.to_string(),
                group_instance_id: instance.as_deref().map(str::to_string),
                topics: subscription.topics.iter().map(|t| t.to_string()).collect(),
                owned_partitions: subscription.owned.clone(),
                generation: subscription.generation,
            })
            .collect();
        let input = AssignmentInput { topics, members };
        match assignor::assign(name, &input) {
            Ok(assignment) => result.members.iter().map(|(id, _, _)| (id.clone(), assignment.get(&id.to_string()).cloned().unwrap_or_default())).collect(),
            Err(_) => Vec::new(),
        }
    }

    /// SyncGroup answered with this member's partitions.
    fn on_synced(&mut self, now: Tick, assignment: Vec<TopicPartition>, out: &mut Outbox) {
        self.membership.state = MemberState::Stable;
        let Some(image) = self.meta.image.clone() else { return };
        let to_index = |tp: &TopicPartition| image.topic_index(&tp.topic).and_then(|t| image.partition_of(t, tp.partition));
        let assigned: Vec<PartitionIndex> = assignment.iter().filter_map(to_index).collect();
        let revoked: Vec<PartitionIndex> = self.assignment.iter().copied().filter(|p| !assigned.contains(p)).collect();
        let added: Vec<PartitionIndex> = assigned.iter().copied().filter(|p| !self.assignment.contains(p)).collect();
        // Cooperative: give up only what moved, then rejoin so it can be handed over.
        if !revoked.is_empty() {
            self.revoke(now, revoked.clone(), out);
            self.membership.rejoin_needed = true;
        }
        self.membership.owned = assignment;
        let keep: Vec<PartitionIndex> = assigned.clone();
        self.assign(keep);
        let group = self.group.clone().unwrap_or_else(|| Rc::from(""));
        out.event(EventKind::AssignmentChanged {
            consumer: self.index,
            group,
            generation: self.membership.generation,
            assigned: assigned.into(),
            revoked: revoked.into(),
            added: added.as_slice().into(),
        });
        if !added.is_empty() {
            self.fetch_committed(now, added, out);
        }
        self.schedule_heartbeat(now, out);
        if self.membership.rejoin_needed {
            self.join_group(now, out);
        }
    }

    /// An OffsetFetch failed (an error answer, a lost connection, a timeout). Kafka's
    /// fetchCommittedOffsets marks the coordinator unknown and asks again after retry.backoff.ms; the
    /// partitions stay held meanwhile. Starting them from auto.offset.reset instead would re-read
    /// ("earliest") or skip ("latest") records that were already committed.
    fn refetch_committed_later(&mut self, now: Tick, partitions: Vec<PartitionIndex>, out: &mut Outbox) {
        self.membership.coordinator = None;
        for p in partitions {
            if !self.membership.offsets_to_refetch.contains(&p) {
                self.membership.offsets_to_refetch.push(p);
            }
        }
        out.timer(now.plus_ms(self.config.retry_backoff_ms), self.node(), Timer::GroupRetry);
    }

    /// Asks again for the committed offsets still wanted (of partitions still assigned), if the
    /// coordinator is known and reachable; the callers look it up otherwise.
    fn refetch_committed(&mut self, now: Tick, out: &mut Outbox) {
        if self.membership.offsets_to_refetch.is_empty() || self.membership.offset_fetch_in_flight.is_some() || self.reachable_coordinator(now).is_none() {
            return;
        }
        let wanted: Vec<PartitionIndex> = std::mem::take(&mut self.membership.offsets_to_refetch).into_iter().filter(|p| self.assignment.contains(p)).collect();
        if !wanted.is_empty() {
            self.fetch_committed(now, wanted, out);
        }
    }

    /// Asks the coordinator for committed offsets of newly assigned partitions. One OffsetFetch at
    /// a time: a new one also asks for the partitions of one still in flight, whose answer is then
    /// no longer awaited (they would stay held for good otherwise).
    pub(super) fn fetch_committed(&mut self, now: Tick, mut partitions: Vec<PartitionIndex>, out: &mut Outbox) {
        let Some(coordinator) = self.membership.coordinator else { return };
        if let Some((_, earlier)) = self.membership.offset_fetch_in_flight.take() {
            for p in earlier {
                if !partitions.contains(&p) && self.assignment.contains(&p) {
                    partitions.push(p);
                }
            }
        }
        self.membership.offsets_to_refetch.retain(|p| !partitions.contains(p));
        for p in &partitions {
            if let Some(state) = self.positions.get_mut(p) {
                // Held until the committed offset is known.
                state.resetting = Some(0);
            }
        }
        let request_id = self.group_request(coordinator, GroupRequest::OffsetFetch { partitions: partitions.clone() }, out);
        self.membership.offset_fetch_in_flight = Some((request_id, partitions));
        out.timer(now.plus_ms(self.config.request_timeout_ms), self.node(), Timer::GroupRequestTimeout { request_id });
    }

    fn apply_committed(&mut self, now: Tick, partitions: &[PartitionIndex], committed: &[(PartitionIndex, Option<u64>)], out: &mut Outbox) {
        for p in partitions {
            let Some(state) = self.positions.get_mut(p) else { continue };
            state.resetting = None;
            match committed.iter().find(|(q, _)| q == p).and_then(|(_, o)| *o) {
                Some(offset) => {
                    state.position = Some(offset);
                    out.event(EventKind::PositionRestored { consumer: self.index, partition: *p, offset });
                }
                None => {
                    state.position = None;
                    state.reset_cause = Some(ResetCause::NoCommittedOffset);
                }
            }
        }
        self.send_fetches(now, out);
    }

    pub(super) fn schedule_heartbeat(&mut self, now: Tick, out: &mut Outbox) {
        out.timer(now.plus_ms(self.config.heartbeat_interval_ms), self.node(), Timer::GroupHeartbeat);
    }

    /// The heartbeat thread: heartbeats while stable, and leaves the group when the application has
    /// not polled within max.poll.interval.ms ("consumer poll timeout has expired").
    pub(super) fn on_heartbeat_timer(&mut self, now: Tick, out: &mut Outbox) {
        if self.group.is_none() {
            return;
        }
        let member_id = self.membership.member_id.clone();
        if now.since(self.membership.last_poll) > self.config.max_poll_interval_ms
            && let (Some(coordinator), Some(member_id)) = (self.membership.coordinator, member_id.clone())
            && self.membership.state == MemberState::Stable
        {
            // A static member sends no LeaveGroup (Kafka's maybeLeaveGroup): it keeps its place for
            // session.timeout.ms and, back in time, takes it again without a rebalance.
            if self.config.group_instance_id.is_none() {
                self.group_request(coordinator, GroupRequest::LeaveGroup { member_id, reason: Rc::from("poll-timeout") }, out);
            }
            self.membership.member_id = None;
            self.membership.generation = 0;
            self.membership.state = MemberState::Unjoined;
            self.membership.left_for_poll_timeout = true;
            // Kafka drops them at the next poll (onJoinPrepare sees the generation reset); they go
            // now, as nothing reads them until then.
            self.lose(out);
            return;
        }
        if self.membership.state != MemberState::Stable {
            return;
        }
        self.refetch_committed(now, out);
        if self.reachable_coordinator(now).is_none() && self.membership.request.is_none() {
            self.find_coordinator(now, out);
        }
        if let (Some(coordinator), Some(member_id)) = (self.membership.coordinator, member_id)
            && self.membership.heartbeat_in_flight.is_none()
        {
            let request = GroupRequest::Heartbeat { generation: self.membership.generation, member_id };
            let request_id = self.group_request(coordinator, request, out);
            self.membership.heartbeat_in_flight = Some(request_id);
            out.timer(now.plus_ms(self.config.request_timeout_ms), self.node(), Timer::GroupRequestTimeout { request_id });
        }
        self.schedule_heartbeat(now, out);
    }

    /// A group request got no answer (or its connection reset): start over from the coordinator.
    pub(super) fn on_group_request_lost(&mut self, now: Tick, request_id: u64, out: &mut Outbox) -> bool {
        if self.membership.commit_in_flight == Some(request_id) {
            self.membership.commit_in_flight = None;
            // Lost with its connection: Kafka marks the coordinator unknown, and commitSync looks it
            // up again and resends, until its deadline. (Only commitSync sets commit_in_flight.)
            self.membership.coordinator = None;
            if !self.blocked_in_commit_sync(now, out) {
                self.resume_after_commit(now, out);
            } else if self.membership.commit_sync.is_some() {
                self.await_coordinator_for_commit(now, out);
            }
            return true;
        }
        if self.membership.heartbeat_in_flight == Some(request_id) {
            // Kafka's heartbeat thread marks the coordinator unknown on a broken connection or a
            // timeout and looks it up again at once, not at its next heartbeat; the member keeps its
            // generation and partitions.
            self.membership.heartbeat_in_flight = None;
            self.on_heartbeat_error(now, KafkaError::NetworkException, out);
            return true;
        }
        if self.membership.offset_fetch_in_flight.as_ref().is_some_and(|(id, _)| *id == request_id) {
            let (_, partitions) = self.membership.offset_fetch_in_flight.take().expect("checked just above");
            self.refetch_committed_later(now, partitions, out);
            return true;
        }
        if self.membership.request == Some(request_id) {
            self.membership.request = None;
            if self.membership.state == MemberState::Stable {
                // A stable member's coordinator lookup: the next heartbeat tick asks another broker.
                self.meta.cursor += 1;
                return true;
            }
            // The lookup, join or sync under way is over: start again, from finding the coordinator,
            // and ask another broker than the one that just failed (Kafka picks a connected node).
            if self.membership.state == MemberState::FindingCoordinator {
                self.meta.cursor += 1;
            }
            self.membership.state = MemberState::Unjoined;
            self.on_group_error(now, KafkaError::NetworkException, out);
            return true;
        }
        false
    }

    /// Closes cleanly: commit (with auto-commit), and leave the group (dynamic members only: a static
    /// member keeps its place for session.timeout.ms, KIP-345). Returns whether a LeaveGroup went
    /// out (it needs a known coordinator and a member id).
    pub(super) fn leave_group(&mut self, now: Tick, out: &mut Outbox) -> bool {
        if self.group.is_none() {
            return false;
        }
        if self.auto_commit_enabled() {
            let offsets = self.current_positions();
            self.send_commit(now, offsets, false, out);
        }
        // Kafka's onLeavePrepare: the partitions are given up before the member leaves: revoked, or
        // lost if it is no longer in the group or a rebalance is under way.
        let rebalancing = matches!(self.membership.state, MemberState::Joining | MemberState::Syncing);
        if self.generation_reset() || rebalancing {
            self.lose(out);
        } else if !self.assignment.is_empty() {
            let group = self.group.clone().unwrap_or_else(|| Rc::from(""));
            out.event(EventKind::PartitionsRevoked { consumer: self.index, group, partitions: self.assignment.as_slice().into() });
        }
        if let (Some(coordinator), Some(member_id)) = (self.membership.coordinator, self.membership.member_id.clone())
            && self.config.group_instance_id.is_none()
        {
            self.group_request(coordinator, GroupRequest::LeaveGroup { member_id, reason: Rc::from("close") }, out);
            return true;
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::join_group_timeout_ms;

    #[test]
    fn a_join_group_waits_the_rebalance_timeout_plus_five_seconds_and_never_less_than_the_request_timeout() {
        // Kafka's defaults: max.poll.interval.ms (the rebalance timeout) 300 s, request.timeout.ms 30 s.
        assert_eq!(join_group_timeout_ms(30_000, 300_000), 305_000);
        // A short rebalance timeout still gets the whole request timeout.
        assert_eq!(join_group_timeout_ms(30_000, 10_000), 30_000);
        assert_eq!(join_group_timeout_ms(30_000, u64::MAX), u64::MAX, "no overflow");
    }
}
