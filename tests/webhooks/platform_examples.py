"""The platforms' documented webhook payloads, as their pages show them (each cites its page).

Where a page shows only the fields of a payload (Facebook's feed, X's post objects), the example
is assembled from exactly those fields, with the page's own sample values where it gives any.
"""

from typing import Any

LINKEDIN_ACTIVITY = "urn:li:activity:7094637247890620418"
LINKEDIN_COMMENT_URN = f"urn:li:comment:({LINKEDIN_ACTIVITY},7094977717598625792)"

# https://developers.facebook.com/docs/graph-api/webhooks/reference/page/#feed (the `feed`
# field's value: from, post_id, comment_id, parent_id, created_time, item, verb, message) in the
# envelope of https://developers.facebook.com/docs/graph-api/webhooks/getting-started#event-notifications
FACEBOOK_FEED_COMMENT: dict[str, Any] = {
    "object": "page",
    "entry": [
        {
            "id": "1067280970047460",
            "time": 1520383571,
            "changes": [
                {
                    "field": "feed",
                    "value": {
                        "from": {"id": "1498386310260125", "name": "Cinderella Hoover"},
                        "post_id": "1067280970047460_1516862418389611",
                        "comment_id": "1516862418389611_1516863328389520",
                        "parent_id": "1067280970047460_1516862418389611",
                        "created_time": 1520383570,
                        "item": "comment",
                        "verb": "add",
                        "message": "Is this available in blue?",
                    },
                }
            ],
        }
    ],
}

# https://developers.facebook.com/docs/instagram-platform/webhooks/examples ("Comments payload")
INSTAGRAM_COMMENT: dict[str, Any] = {
    "object": "instagram",
    "entry": [
        {
            "id": "17841405309211844",
            "time": 1723226877,
            "changes": [
                {
                    "field": "comments",
                    "value": {
                        "id": "17865799348089039",
                        "from": {"id": "1234567890123456", "username": "test_username"},
                        "text": "This is an example.",
                        "media": {"id": "18023345989012587", "media_product_type": "FEED"},
                    },
                }
            ],
        }
    ],
}

# https://developers.facebook.com/docs/graph-api/webhooks/reference/instagram/#mentions
INSTAGRAM_MENTION: dict[str, Any] = {
    "object": "instagram",
    "entry": [
        {
            "id": "17841405309211844",
            "time": 1723226877,
            "changes": [
                {
                    "field": "mentions",
                    "value": {"media_id": "17887498072083520", "comment_id": "17894227972186120"},
                }
            ],
        }
    ],
}

# https://developers.facebook.com/docs/threads/webhooks (the `replies` example, verbatim)
THREADS_REPLY: dict[str, Any] = {
    "app_id": "123456",
    "topic": "moderate",
    "target_id": "78901",
    "time": 1723226877,
    "subscription_id": "234567",
    "has_uid_field": False,
    "values": {
        "value": {
            "id": "8901234",
            "username": "test_username",
            "text": "Reply",
            "media_type": "TEXT_POST",
            "permalink": "https://www.threads.net/@test_username/post/Pp",
            "replied_to": {"id": "567890"},
            "root_post": {"id": "123456", "owner_id": "123456", "username": "test_username_2"},
            "shortcode": "Pp",
            "timestamp": "2024-08-07T10:33:16+0000",
        },
        "field": "replies",
    },
}

# https://developer.x.com/en/docs/twitter-api/enterprise/account-activity-api/guides/account-activity-data-objects
# (`tweet_create_events`, posts in the v1.1 format of
# https://developer.x.com/en/docs/twitter-api/v1/data-dictionary/object-model/tweet)
X_REPLY: dict[str, Any] = {
    "for_user_id": "2244994945",
    "tweet_create_events": [
        {
            "created_at": "Wed Oct 10 20:19:24 +0000 2018",
            "id": 1050118621198921728,
            "id_str": "1050118621198921728",
            "text": "@TwitterDev When will the new endpoints be available?",
            "truncated": False,
            "in_reply_to_status_id_str": "1050118000000000000",
            "in_reply_to_user_id_str": "2244994945",
            "in_reply_to_screen_name": "TwitterDev",
            "user": {
                "id_str": "6253282",
                "name": "Twitter API",
                "screen_name": "TwitterAPI",
                "profile_image_url_https": "https://pbs.twimg.com/profile_images/942858479592554497/BbazLO9L_normal.jpg",
            },
        }
    ],
}

# https://developer.x.com/en/docs/twitter-api/enterprise/account-activity-api/guides/account-activity-data-objects
# (`user_event`, revoke)
X_REVOKE: dict[str, Any] = {
    "user_event": {
        "revoke": {
            "date_time": "2018-05-24T09:48:12+00:00",
            "target": {"app_id": "13090192"},
            "source": {"user_id": "63046977"},
        }
    }
}

# https://developers.tiktok.com/doc/webhooks-events (the `authorization.removed` example, verbatim)
TIKTOK_AUTHORIZATION_REMOVED: dict[str, Any] = {
    "client_key": "bwo2m45353a6k85",
    "event": "authorization.removed",
    "create_time": 1615338610,
    "user_openid": "act.example12345Example12345Example",
    "content": '{"reason": 1 }',
}

# https://developers.tiktok.com/doc/content-posting-api-reference-get-video-status ("Content
# Posting webhooks": post.publish.failed with the publish id and TikTok's reason)
TIKTOK_PUBLISH_FAILED: dict[str, Any] = {
    "client_key": "bwo2m45353a6k85",
    "event": "post.publish.failed",
    "create_time": 1615338610,
    "user_openid": "act.example12345Example12345Example",
    "content": '{"publish_id": "v_pub_url~v2.123456789", "reason": "file_format_check_failed", '
    '"publish_type": "DIRECT_PUBLISH"}',
}

YOUTUBE_CHANNEL = "UCXuqSBlHAE6Xw-yeJA0Tunw"

# https://developers.google.com/youtube/v3/guides/push_notifications (the notification format,
# CHANNEL_ID and VIDEO_ID filled in)
YOUTUBE_FEED = f"""<feed xmlns:yt="http://www.youtube.com/xml/schemas/2015"
         xmlns="http://www.w3.org/2005/Atom">
  <link rel="hub" href="https://pubsubhubbub.appspot.com"/>
  <link rel="self" href="https://www.youtube.com/xml/feeds/videos.xml?channel_id={YOUTUBE_CHANNEL}"/>
  <title>YouTube video feed</title>
  <updated>2015-04-01T19:05:24.552394234+00:00</updated>
  <entry>
    <id>yt:video:dQw4w9WgXcQ</id>
    <yt:videoId>dQw4w9WgXcQ</yt:videoId>
    <yt:channelId>{YOUTUBE_CHANNEL}</yt:channelId>
    <title>Video title</title>
    <link rel="alternate" href="http://www.youtube.com/watch?v=dQw4w9WgXcQ"/>
    <author>
     <name>Channel title</name>
     <uri>http://www.youtube.com/channel/{YOUTUBE_CHANNEL}</uri>
    </author>
    <published>2015-03-06T21:40:57+00:00</published>
    <updated>2015-03-06T21:45:24.552394234+00:00</updated>
  </entry>
</feed>
""".encode()

# https://learn.microsoft.com/en-us/linkedin/marketing/community-management/organizations/organization-social-action-notifications
# (a COMMENT notification as the page's sample shows it)
LINKEDIN_COMMENT: dict[str, Any] = {
    "type": "ORGANIZATION_SOCIAL_ACTION_NOTIFICATIONS",
    "notifications": [
        {
            "subscriber": "urn:li:person:zLqTygBP8S",
            "lastModifiedAt": 1691574506310,
            "decoratedSourcePost": {
                "owner": "urn:li:organization:96072893",
                "mediaCategory": "NONE",
                "text": "This is my post 0008",
                "entity": "urn:li:share:7094637247487995904",
            },
            "sourcePost": "urn:li:activity:7094637247890620418",
            "decoratedGeneratedActivity": {
                "comment": {
                    "owner": "urn:li:person:zLqTygBP8S",
                    "text": "Commenting as Sumit Butola...",
                    "entity": LINKEDIN_COMMENT_URN,
                    "object": "urn:li:activity:7094637247890620418",
                }
            },
            "action": "COMMENT",
            "notificationId": 5603453321,
            "organizationalEntity": "urn:li:organization:96072893",
            "generatedActivity": "urn:li:comment:(activity:7094637247890620418,"
            "7094977717598625792)",
        }
    ],
}
