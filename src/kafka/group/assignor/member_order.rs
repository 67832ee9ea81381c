//! The order Kafka's assignors line members up in (`AbstractPartitionAssignor.MemberInfo`).
//!
//! Static members (those with a `group.instance.id`) come first, ordered by instance id; dynamic
//! members follow, ordered by `member.id`. Strings compare as Java does (UTF-16 code units), so
//! `consumer10` sorts before `consumer2`. Sorting static members by instance id is what keeps their
//! assignment when they restart with a new member id (SEMANTICS §3.1, §7).

use std::cmp::Ordering;

use crate::kafka::java::compare_strings;

/// The two ids that decide a member's place.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemberInfo<'a> {
    pub member_id: &'a str,
    pub group_instance_id: Option<&'a str>,
}

/// Kafka's `MemberInfo.compareTo`.
pub fn compare(a: &MemberInfo, b: &MemberInfo) -> Ordering {
    match (a.group_instance_id, b.group_instance_id) {
        (Some(instance_a), Some(instance_b)) => compare_strings(instance_a, instance_b),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => compare_strings(a.member_id, b.member_id),
    }
}

/// Sorts members into Kafka's order. The sort is stable like Java's, so members that compare equal
/// keep the order they came in.
pub fn sort(members: &mut [MemberInfo]) {
    crate::sim::sorted::sort_by(members, compare);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dynamic(member_id: &str) -> MemberInfo<'_> {
        MemberInfo { member_id, group_instance_id: None }
    }

    fn static_member<'a>(member_id: &'a str, instance: &'a str) -> MemberInfo<'a> {
        MemberInfo { member_id, group_instance_id: Some(instance) }
    }

    fn sorted_ids<'a>(mut members: Vec<MemberInfo<'a>>) -> Vec<&'a str> {
        sort(&mut members);
        members.iter().map(|m| m.member_id).collect()
    }

    #[test]
    fn dynamic_members_sort_by_member_id_in_java_string_order() {
        // AbstractPartitionAssignorTest#testMemberInfoSortingWithoutGroupInstanceId
        let members = vec![dynamic("a"), dynamic("c"), dynamic("b")];
        assert_eq!(sorted_ids(members), vec!["a", "b", "c"]);
        assert_eq!(sorted_ids(vec![dynamic("consumer2"), dynamic("consumer10")]), vec!["consumer10", "consumer2"]);
    }

    #[test]
    fn static_members_sort_by_instance_id_not_member_id() {
        // AbstractPartitionAssignorTest#testMemberInfoSortingWithAllGroupInstanceId
        let members = vec![static_member("a", "y"), static_member("b", "z"), static_member("c", "x")];
        assert_eq!(sorted_ids(members), vec!["c", "a", "b"]);
    }

    #[test]
    fn static_members_come_before_dynamic_ones() {
        // AbstractPartitionAssignorTest#testMemberInfoSortingSomeGroupInstanceId
        let members = vec![dynamic("a"), static_member("b", "y"), static_member("c", "x")];
        assert_eq!(sorted_ids(members), vec!["c", "b", "a"]);
    }

    #[test]
    fn many_members_sort_the_same_way_as_kafka_merges_them() {
        // AbstractPartitionAssignorTest#testMergeSortManyMemberInfo: 30 static members (instance
        // ids "instance" + i, member ids "id" + i) and 30 dynamic ones; statics come first in
        // instance-id order, then dynamics in member-id order.
        let ids: Vec<(String, Option<String>)> =
            (0..60).map(|i| (format!("id{i}"), (i % 2 == 0).then(|| format!("instance{i}")))).collect();
        let members: Vec<MemberInfo> = ids
            .iter()
            .rev()
            .map(|(id, instance)| MemberInfo { member_id: id, group_instance_id: instance.as_deref() })
            .collect();
        let sorted = sorted_ids(members);
        let mut statics: Vec<&str> = ids.iter().filter(|(_, i)| i.is_some()).map(|(id, _)| id.as_str()).collect();
        crate::sim::sorted::sort_by(&mut statics, |a, b| compare_strings(&format!("instance{}", &a[2..]), &format!("instance{}", &b[2..])));
        let mut dynamics: Vec<&str> = ids.iter().filter(|(_, i)| i.is_none()).map(|(id, _)| id.as_str()).collect();
        crate::sim::sorted::sort_by(&mut dynamics, |a, b| compare_strings(a, b));
        assert_eq!(sorted, [statics, dynamics].concat());
    }
}
