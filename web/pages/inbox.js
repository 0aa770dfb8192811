// inbox.js: 通知, the person's notices from notify (notify.read), the unread count in the header,
// 确认 through notify.ack.
export const pages = [];
